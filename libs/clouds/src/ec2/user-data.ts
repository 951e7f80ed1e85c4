/** EC2 refuses user data above 16 KB before base64 (RunInstances, UserData). */
export const maxUserDataBytes = 16_384;

/** The boundary between the parts of the multipart user data; never appears inside a part we write. */
const boundary = '==HEARTH-USER-DATA==';

/**
 * The cloud-config that lets the installation's keys log in as root: Debian's and Ubuntu's
 * images set `disable_root: true`, which would prefix root's keys with "please log in as
 * admin", so it is turned off. Keys are written as JSON strings, which YAML reads unchanged.
 */
export function rootKeysCloudConfig(authorizedKeys: readonly string[]): string {
  const keys = authorizedKeys.map((key) => `      - ${JSON.stringify(key.trim())}`);
  return ['#cloud-config', 'disable_root: false', 'ssh_pwauth: false', 'users:', '  - name: root', '    ssh_authorized_keys:', ...keys, ''].join(
    '\n',
  );
}

/** The MIME type cloud-init reads a user-data part as: a script, or cloud-config. */
function partType(userData: string): string {
  if (userData.startsWith('#!')) return 'text/x-shellscript';
  if (userData.startsWith('#cloud-config')) return 'text/cloud-config';
  return 'text/plain';
}

/**
 * The user data of one machine: the root keys as cloud-config and, when the spec has its own
 * user data, that as a second part of a multipart/mixed message, which cloud-init runs both of.
 * Returned as text; RunInstances wants it base64-encoded (see encodeUserData).
 */
export function userDataFor(authorizedKeys: readonly string[], extra: string | undefined): string {
  const keys = rootKeysCloudConfig(authorizedKeys);
  if (extra === undefined || extra.trim() === '') return keys;
  const part = (type: string, body: string): string =>
    [`--${boundary}`, `Content-Type: ${type}; charset="utf-8"`, 'MIME-Version: 1.0', '', body.endsWith('\n') ? body : `${body}\n`].join('\n');
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    part('text/cloud-config', keys),
    part(partType(extra), extra),
    `--${boundary}--`,
    '',
  ].join('\n');
}

/** Base64 of the user data, or undefined with the reason when EC2 would refuse it as too large. */
export function encodeUserData(text: string): { base64: string } | { problem: string } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > maxUserDataBytes) return { problem: `user data is ${bytes.length} bytes, EC2 takes at most ${maxUserDataBytes}` };
  return { base64: bytes.toString('base64') };
}
