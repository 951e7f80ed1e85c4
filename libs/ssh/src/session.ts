import { connect as tcpConnect } from 'node:net';
import ssh2, { type ClientChannel, type ConnectConfig } from 'ssh2';

/** Where and how to log in. */
export interface SshTarget {
  host: string;
  port?: number;
  username: string;
  privateKey: string;
  /** A bastion to jump through: the connection to `host` is forwarded over it. */
  jump?: { host: string; port?: number; username: string; privateKey: string };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An SSH failure; `stage` says whether connecting or the command went wrong. */
export class SshError extends Error {
  constructor(
    readonly stage: 'connect' | 'exec' | 'timeout',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SshError';
  }
}

/** One open SSH connection that runs commands; reuse it to skip the handshake. */
export class SshSession {
  private closed = false;
  private constructor(
    private readonly client: ssh2.Client,
    private readonly via?: ssh2.Client,
  ) {
    client.on('close', () => (this.closed = true));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Connects (through the jump host when given).
   * @throws SshError stage 'connect' or 'timeout'
   */
  static async open(target: SshTarget, timeoutMs = 5_000): Promise<SshSession> {
    let via: ssh2.Client | undefined;
    let sock: ConnectConfig['sock'];
    if (target.jump) {
      via = await connect({ host: target.jump.host, port: target.jump.port ?? 22, username: target.jump.username, privateKey: target.jump.privateKey }, timeoutMs);
      const bastion = via;
      sock = await new Promise<ClientChannel>((resolve, reject) =>
        bastion.forwardOut('127.0.0.1', 0, target.host, target.port ?? 22, (err, stream) => (err ? reject(new SshError('connect', `jump to ${target.host}: ${err.message}`, { cause: err })) : resolve(stream))),
      );
    }
    const client = await connect({ host: target.host, port: target.port ?? 22, username: target.username, privateKey: target.privateKey, ...(sock ? { sock } : {}) }, timeoutMs);
    return new SshSession(client, via);
  }

  /**
   * Runs one command, with `input` on its standard input.
   * @throws SshError stage 'exec' when the channel fails, 'timeout' after timeoutMs
   */
  exec(command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SshError('timeout', `command took longer than ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
      this.client.exec(command, (err, channel) => {
        if (err) {
          clearTimeout(timer);
          reject(new SshError('exec', `running a command: ${err.message}`, { cause: err }));
          return;
        }
        let stdout = '';
        let stderr = '';
        channel.on('data', (d: Buffer) => (stdout += d.toString()));
        channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        channel.on('close', (code: number | null) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stdout, stderr });
        });
        channel.end(opts.input ?? '');
      });
    });
  }

  close(): void {
    this.closed = true;
    this.client.end();
    this.via?.end();
  }
}

function connect(config: ConnectConfig, timeoutMs: number): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    // short commands over SSH otherwise stall ~40 ms on Nagle plus delayed ACKs
    const sock = config.sock ?? tcpConnect({ host: config.host ?? '', port: config.port ?? 22 }).setNoDelay(true);
    const timer = setTimeout(() => {
      client.end();
      sock.destroy();
      reject(new SshError('timeout', `no SSH login to ${config.host}:${config.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      reject(new SshError('connect', `SSH to ${config.host}:${config.port}: ${err.message}`, { cause: err }));
    });
    try {
      client.connect({ ...config, sock, readyTimeout: timeoutMs, keepaliveInterval: 15_000 });
    } catch (err) {
      // a key that does not parse throws here, before any event
      clearTimeout(timer);
      sock.destroy();
      reject(new SshError('connect', `SSH to ${config.host}:${config.port}: ${(err as Error).message}`, { cause: err }));
    }
  });
}
