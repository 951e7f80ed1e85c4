import { ApiError, UnreachableError } from './api-error.js';
import type { CloudStatus, Machine, MachineRequest, MachineTypeInfo, Me, PoolSettings, PoolStatus, Problem, Token, User } from './types.js';

/** What `POST /api/v1/machines` answers: the machine at once (201) or a queued request (202). */
export type RequestOutcome = { machine: Machine } | { request: MachineRequest };

export interface PoolChange {
  minReady?: number;
  max?: number;
  weight?: number;
}

export interface UserChange {
  role?: string;
  disabled?: boolean;
  password?: string;
}

/**
 * A thin typed client of the gateway's REST API (docs/api.md), on the global fetch.
 * Every method resolves with the documented reply or rejects with ApiError (an HTTP error
 * status, carrying the problem document) or UnreachableError (no HTTP answer at all).
 */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token?: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** A client for the same address with another token. */
  withToken(token: string): ApiClient {
    return new ApiClient(this.url, token, this.fetchImpl);
  }

  createToken(user: string, password: string, name: string): Promise<Token> {
    return this.call('POST', '/auth/tokens', 'logging in', { user, password, name });
  }
  me(): Promise<Me> {
    return this.call('GET', '/me', 'reading who is logged in');
  }
  revokeToken(id: string): Promise<void> {
    return this.call('DELETE', `/me/tokens/${enc(id)}`, 'revoking the token');
  }

  async machineTypes(): Promise<MachineTypeInfo[]> {
    return (await this.call<{ types: MachineTypeInfo[] }>('GET', '/machine-types', 'listing machine types')).types;
  }
  requestMachine(body: { type: string; sshPublicKey?: string; region?: string }): Promise<RequestOutcome> {
    return this.call('POST', '/machines', `requesting a ${body.type} machine`, body);
  }
  getRequest(id: string): Promise<MachineRequest> {
    return this.call('GET', `/requests/${enc(id)}`, `reading request ${id}`);
  }
  cancelRequest(id: string): Promise<void> {
    return this.call('DELETE', `/requests/${enc(id)}`, `cancelling request ${id}`);
  }
  async machines(all = false): Promise<Machine[]> {
    return (await this.call<{ machines: Machine[] }>('GET', `/machines${all ? '?all=true' : ''}`, 'listing machines')).machines;
  }
  machine(id: string): Promise<Machine> {
    return this.call('GET', `/machines/${enc(id)}`, `reading machine ${id}`);
  }
  release(id: string): Promise<void> {
    return this.call('DELETE', `/machines/${enc(id)}`, `releasing machine ${id}`);
  }

  async pools(): Promise<PoolStatus[]> {
    return (await this.call<{ pools: PoolStatus[] }>('GET', '/pools', 'listing pools')).pools;
  }
  resizePool(type: string, cloud: string, change: PoolChange): Promise<PoolSettings> {
    return this.call('PATCH', `/pools/${enc(type)}/${enc(cloud)}`, `resizing pool ${type} on ${cloud}`, change);
  }

  async clouds(): Promise<CloudStatus[]> {
    return (await this.call<{ clouds: CloudStatus[] }>('GET', '/clouds', 'listing clouds')).clouds;
  }
  drain(cloud: string, drained: boolean): Promise<CloudStatus> {
    const verb = drained ? 'drain' : 'undrain';
    return this.call('POST', `/clouds/${enc(cloud)}/${verb}`, `${drained ? 'draining' : 'undraining'} cloud ${cloud}`);
  }

  async users(): Promise<User[]> {
    return (await this.call<{ users: User[] }>('GET', '/users', 'listing users')).users;
  }
  addUser(body: { name: string; password: string; role: string }): Promise<User> {
    return this.call('POST', '/users', `adding user ${body.name}`, body);
  }
  changeUser(name: string, change: UserChange): Promise<User> {
    return this.call('PATCH', `/users/${enc(name)}`, `changing user ${name}`, change);
  }

  /** One API call: JSON in, JSON (or nothing, on 204) out; `what` starts the error message. */
  async call<T>(method: string, path: string, what: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.url}/api/v1${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new UnreachableError(this.url, err);
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, parseProblem(text, res), what, this.url);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

const enc = encodeURIComponent;

/** The problem document, or a stand-in when a proxy or an old server answered with something else. */
function parseProblem(text: string, res: Response): Problem {
  try {
    const parsed = JSON.parse(text) as Problem;
    if (parsed && typeof parsed === 'object') return parsed;
  } catch {
    // not JSON: fall through to the status text
  }
  const requestId = res.headers.get('x-request-id');
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, ...(text ? { detail: text.slice(0, 200) } : {}), ...(requestId ? { requestId } : {}) };
}
