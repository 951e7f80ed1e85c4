export { generateKeyPair, isUsableKeyPair, loadOrCreateKeyPair } from './keys.js';
export type { KeyPair } from './keys.js';
export { SshError, SshSession } from './session.js';
export type { ExecResult, SshTarget } from './session.js';
