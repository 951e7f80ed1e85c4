import { connect, type Socket } from 'node:net';
import { percentiles, type Percentiles } from './stats.js';

/**
 * An open-loop HTTP load generator: request i is due at start + i / rate, is sent at once on an
 * idle kept-alive connection (or on the first to come free, when none is), and its latency counts
 * from when it was due, so a stalled server is not hidden by requests that were sent late.
 *
 * It is lean on purpose, since it shares the machine with what it measures: every connection
 * writes one prepared request buffer and reads the answer by its Content-Length, without an HTTP
 * client's per-request objects. (autocannon's own rate limit releases each second's quota in one
 * burst, which measures a burst instead.)
 */
export interface PacedLoad {
  /** Where to send: host and port of an HTTP/1.1 server on loopback. */
  host: string;
  port: number;
  /** The request connection `i` sends, whole (request line, headers, body), e.g. as its own user. */
  request(connection: number): Buffer;
  connections: number;
  amount: number;
  /**
   * Offered requests per second; Infinity makes it a closed loop: every connection sends its
   * next request as soon as its last is answered, and latency counts from sending.
   */
  rate: number;
}

export interface PacedResult {
  /** Answers by HTTP status; 0 counts connections that failed. */
  statuses: Map<number, number>;
  latency: Percentiles;
  seconds: number;
  /**
   * Each request's due time on the monotonic clock in microseconds (the clock of V8 CPU
   * profiles, so slow requests can be laid beside what each service was doing) and its latency
   * in ms, in the order answered.
   */
  timeline: [dueUs: number, ms: number][];
}

const headerEnd = Buffer.from('\r\n\r\n');

/** One kept-alive connection, one request at a time. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;
  private dead = false;

  private constructor(
    private readonly socket: Socket,
    private readonly request: Buffer,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = (): void => {
      this.dead = true;
      this.answer(0);
    };
    socket.on('error', fail);
    socket.on('close', fail);
  }

  static open(host: string, port: number, request: Buffer): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new Connection(socket, request));
      });
      socket.once('error', reject);
    });
  }

  /** Sends the request; resolves with the answer's status (0 when the connection failed). */
  send(): Promise<number> {
    if (this.dead) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(this.request);
    });
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const end = this.pending.indexOf(headerEnd);
    if (end < 0) return;
    const head = this.pending.subarray(0, end).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) throw new Error(`paced load: an answer without Content-Length (chunked answers are not read): ${head.split('\r\n')[0] ?? ''}`);
    const total = end + headerEnd.length + Number(length);
    if (this.pending.length < total) return;
    this.pending = this.pending.subarray(total);
    this.answer(status);
  }

  private answer(status: number): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(status);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function pacedLoad(load: PacedLoad): Promise<PacedResult> {
  const connections = await Promise.all(Array.from({ length: load.connections }, (_, i) => Connection.open(load.host, load.port, load.request(i))));
  const idle = [...connections];
  /** Requests due while every connection was busy, by when they were due. */
  const backlog: number[] = [];
  const latencies: number[] = [];
  const timeline: [number, number][] = [];
  // performance.now() → the monotonic clock in µs
  const monotonicUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  const statuses = new Map<number, number>();
  let answered = 0;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const run = (connection: Connection, dueOrNow: number): void => {
    // NaN: a closed loop's next request, due the moment it is sent
    const due = Number.isNaN(dueOrNow) ? performance.now() : dueOrNow;
    void connection.send().then((status) => {
      const ms = performance.now() - due;
      latencies.push(ms);
      timeline.push([Math.round(monotonicUs + due * 1000), +ms.toFixed(2)]);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (++answered === load.amount) finished();
      const next = backlog.shift();
      if (next === undefined) idle.push(connection);
      else run(connection, next);
    });
  };
  const start = performance.now();
  const closed = load.rate === Infinity;
  for (let i = 0; i < load.amount; i++) {
    // a closed loop's requests are due when sent (NaN, see run): the first go out at once, one
    // per connection, and the backlog hands out the rest as answers come
    const due = closed ? Number.NaN : start + (i * 1000) / load.rate;
    const wait = due - performance.now();
    if (!closed && wait > 1) await sleep(wait);
    const connection = idle.pop();
    if (connection) run(connection, due);
    else backlog.push(due);
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  for (const c of connections) c.close();
  return { statuses, latency: percentiles(latencies), seconds, timeline };
}
