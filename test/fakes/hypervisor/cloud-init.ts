import { parse } from 'yaml';

/**
 * The keys that cloud-init would install for root from a launch's user data, read the way
 * cloud-init reads them: the user data is one part, or a MIME multipart/mixed message of
 * parts; every `#cloud-config` part may list `ssh_authorized_keys` (which goes to the default
 * user, and to root when `disable_root: false`) and `users[]` entries named root with their own
 * `ssh_authorized_keys`. Anything else (scripts, boothooks) is ignored: the emulated machine
 * runs no cloud-init, only sshd with these keys.
 */
export function rootKeysOfUserData(userData: string | undefined): string[] {
  if (!userData) return [];
  const keys: string[] = [];
  for (const part of partsOf(userData)) {
    if (!part.startsWith('#cloud-config')) continue;
    const config = parseConfig(part);
    if (!config) continue;
    if (config['disable_root'] === false) keys.push(...stringsOf(config['ssh_authorized_keys']));
    const users = Array.isArray(config['users']) ? config['users'] : [];
    for (const user of users) {
      if (isRecord(user) && user['name'] === 'root') keys.push(...stringsOf(user['ssh_authorized_keys']));
    }
  }
  return [...new Set(keys.map((k) => k.trim()).filter((k) => k !== ''))];
}

/** The bodies of a multipart/mixed message (RFC 2046), or the text itself when it is not one. */
function partsOf(text: string): string[] {
  const boundary = /^Content-Type:\s*multipart\/mixed;\s*boundary="?([^"\r\n;]+)"?/im.exec(text)?.[1];
  if (!boundary || !/^Content-Type:/i.test(text)) return [text];
  const parts: string[] = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    // headers end at the first empty line; the body follows it
    const body = /\r?\n\r?\n([\s\S]*)$/.exec(chunk)?.[1];
    if (body !== undefined) parts.push(body.replace(/^\s+/, ''));
  }
  return parts;
}

function parseConfig(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
