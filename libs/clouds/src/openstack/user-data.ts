import { randomBytes } from 'node:crypto';

/** Nova's limit on user_data: 65535 bytes once base64-encoded. */
export const userDataMaxBytes = 65_535;

/**
 * The cloud-config that lets `keys` log in as root: cloud-init writes ssh_authorized_keys for
 * the default user and, with disable_root false, the same keys for root without the "log in
 * as ubuntu" command prefix. JSON is valid YAML, so the list needs no escaping of its own.
 */
export function rootKeysCloudConfig(keys: readonly string[]): string {
  return `#cloud-config\ndisable_root: false\nssh_authorized_keys: ${JSON.stringify(keys)}\n`;
}

/** The MIME type cloud-init gives a user-data part, from its first line. */
function partType(userData: string): string {
  if (userData.startsWith('#cloud-config')) return 'text/cloud-config';
  if (userData.startsWith('#!')) return 'text/x-shellscript';
  if (userData.startsWith('#cloud-boothook')) return 'text/cloud-boothook';
  if (userData.startsWith('#include')) return 'text/x-include-url';
  return 'text/plain';
}

/**
 * The user data of a launch, base64-encoded as Nova wants it: the root keys' cloud-config,
 * and the launch's own user data, if any, as a second part of a MIME multipart message, which
 * cloud-init runs (and, for two cloud-configs, merges) in order.
 * @returns undefined when there is nothing to send; the encoded text otherwise
 */
export function encodeUserData(keys: readonly string[], userData: string | undefined): string | undefined {
  const keysPart = keys.length ? rootKeysCloudConfig(keys) : undefined;
  let text: string | undefined;
  if (keysPart && userData) {
    const boundary = `hearth-${randomBytes(12).toString('hex')}`;
    const part = (body: string): string =>
      `--${boundary}\nContent-Type: ${partType(body)}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n\n${body}\n`;
    text = `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n${part(keysPart)}${part(userData)}--${boundary}--\n`;
  } else {
    text = keysPart ?? userData;
  }
  return text === undefined ? undefined : Buffer.from(text, 'utf8').toString('base64');
}
