import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultInstanceTypes, Ec2ApiError, FakeAccount, newId, type FakeInstance, type InstanceTypeShape, type Timing } from './account.js';
import type { Action, ActionContext, FakeCatalog, FakeLimits } from './context.js';
import { describeInstances } from './describe-instances.js';
import { Ec2Faults } from './faults.js';
import { createTags, describeAccountAttributes, describeInstanceTypes, terminateInstances } from './other-actions.js';
import { QueryParams } from './query.js';
import { runInstances } from './run-instances.js';
import { checkSignature, type FakeCredentials } from './sigv4.js';
import { errorResponse } from './xml.js';

/** The actions the fake serves (EC2 API version 2016-11-15). */
const actions: Readonly<Record<string, Action>> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  CreateTags: createTags,
  DescribeAccountAttributes: describeAccountAttributes,
  DescribeInstanceTypes: describeInstanceTypes,
};

export interface Ec2FakeOptions extends Partial<Timing> {
  region?: string;
  credentials?: FakeCredentials;
  /** Running-instance limit (`max-instances`); 20 when absent, EC2's old default. */
  instanceLimit?: number;
  /** vCPU limit of running instances; Infinity when absent. */
  vcpuLimit?: number;
  /** Largest DescribeInstances page, whatever MaxResults asks; 1000 when absent. */
  pageSize?: number;
  images?: readonly string[];
  subnets?: readonly string[];
  securityGroups?: readonly string[];
  keyPairs?: readonly string[];
  instanceTypes?: Readonly<Record<string, InstanceTypeShape>>;
  /** The /16 private addresses come from; 10.0.0.0/16 when absent. */
  subnetCidr?: string;
  now?: () => number;
}

/** One request as the fake saw it. */
export interface RecordedCall {
  action: string;
  params: ReadonlyMap<string, string>;
  /** The HTTP status answered; 0 when the connection was cut instead. */
  status: number;
}

/** A running fake EC2 endpoint. */
export interface Ec2Fake {
  /** `http://127.0.0.1:<port>/`: the endpoint to give the SDK. */
  readonly url: string;
  readonly region: string;
  readonly credentials: FakeCredentials;
  readonly catalog: FakeCatalog;
  readonly limits: FakeLimits;
  readonly account: FakeAccount;
  readonly faults: Ec2Faults;
  /** Every request, in arrival order. */
  readonly calls: readonly RecordedCall[];
  callsOf(action: string): RecordedCall[];
  /** Adds a running instance with `tags` (another installation's, or none), as if launched outside Hearth. */
  addForeign(tags?: Readonly<Record<string, string>>): FakeInstance;
  /** Clears faults and the call record; the instances stay. */
  reset(): void;
  close(): Promise<void>;
}

/** Test credentials the fake knows by default; never real ones. */
export const fakeCredentials: FakeCredentials = { accessKeyId: 'AKIAHEARTHFAKE000001', secretAccessKey: 'hearth-fake-secret-key-for-tests-only' };

/** The image, subnet and security group the fake has unless told otherwise. */
export const fakeIds = { image: 'ami-0a1b2c3d4e5f60001', subnet: 'subnet-0a1b2c3d4e5f60001', securityGroup: 'sg-0a1b2c3d4e5f60001' } as const;

function catalogOf(options: Ec2FakeOptions): FakeCatalog {
  return {
    region: options.region ?? 'eu-west-1',
    availabilityZone: `${options.region ?? 'eu-west-1'}a`,
    ownerId: '123456789012',
    vpcId: 'vpc-0fa4e0f4c0ffee001',
    images: new Set(options.images ?? [fakeIds.image]),
    subnets: new Set(options.subnets ?? [fakeIds.subnet]),
    securityGroups: new Set(options.securityGroups ?? [fakeIds.securityGroup]),
    keyPairs: new Set(options.keyPairs ?? ['hearth']),
    instanceTypes: options.instanceTypes ?? defaultInstanceTypes,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts a fake of the EC2 Query API on 127.0.0.1, written from the EC2 API reference: form
 * encoded POSTs (or GETs) of `Action=…&Version=2016-11-15&…`, Signature Version 4 checked with
 * the known test secret, XML answers in the 2016-11-15 namespace, errors as
 * `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
 * State lives in memory; instances go pending → running after `pendingMs` and shutting-down →
 * terminated after `shuttingDownMs`, computed from timestamps when read.
 */
export async function startEc2Fake(options: Ec2FakeOptions = {}): Promise<Ec2Fake> {
  const now = options.now ?? Date.now;
  const catalog = catalogOf(options);
  const credentials = options.credentials ?? fakeCredentials;
  const limits: FakeLimits = { instances: options.instanceLimit ?? 20, vcpus: options.vcpuLimit ?? Infinity };
  const timing: Timing = {
    pendingMs: options.pendingMs ?? 200,
    shuttingDownMs: options.shuttingDownMs ?? 200,
    keepTerminatedMs: options.keepTerminatedMs ?? 60_000,
  };
  const account = new FakeAccount(timing, now, options.subnetCidr);
  const faults = new Ec2Faults();
  const calls: RecordedCall[] = [];
  const pageSize = options.pageSize ?? 1000;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const params = QueryParams.parse(req.method === 'GET' ? url.search.slice(1) : body);
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    const call: RecordedCall = { action, params: params.values, status: 0 };
    calls.push(call);
    const answer = (status: number, xml: string): void => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }).end(xml);
    };
    const fail = (err: Ec2ApiError): void => answer(err.status, errorResponse(err.code, err.message, requestId));
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const signed = { method: req.method ?? 'POST', path: url.pathname, query: req.method === 'GET' ? '' : url.search.slice(1), headers: req.headers, body };
    const problem = checkSignature(signed, credentials, catalog.region, now());
    if (problem) return fail(new Ec2ApiError(problem.code, problem.message, problem.status));
    const run = actions[action];
    if (!run) return fail(new Ec2ApiError('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`));
    if (params.get('Version') !== '2016-11-15') return fail(new Ec2ApiError('InvalidParameterValue', 'Version must be 2016-11-15'));
    const decision = faults.decide(action);
    if ('fail' in decision) return fail(decision.fail);
    account.sweep();
    const ctx: ActionContext = { params, requestId, account, catalog, limits, pageSize };
    let xml: string;
    try {
      xml = run(ctx);
    } catch (err) {
      if (err instanceof Ec2ApiError) return fail(err);
      throw err;
    }
    // carried out, but the answer is lost on the way: the client sees a reset connection
    if (decision.drop) return void req.socket.destroy();
    answer(200, xml);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/xml' }).end(errorResponse('InternalError', String(err), randomUUID()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    region: catalog.region,
    credentials,
    catalog,
    limits,
    account,
    faults,
    calls,
    callsOf: (action) => calls.filter((c) => c.action === action),
    addForeign: (tags = {}) => {
      const instance: FakeInstance = {
        id: newId('i'),
        reservationId: newId('r'),
        seq: account.nextSeq(),
        imageId: [...catalog.images][0] ?? 'ami-00000000',
        instanceType: 't3.micro',
        subnetId: [...catalog.subnets][0] ?? 'subnet-00000000',
        vpcId: catalog.vpcId,
        privateIp: account.nextPrivateIp(),
        securityGroupIds: [],
        tags: new Map(Object.entries(tags)),
        volumeId: newId('vol'),
        volumeTags: new Map(),
        launchedAt: now() - timing.pendingMs,
      };
      account.instances.set(instance.id, instance);
      return instance;
    },
    reset: () => {
      faults.reset();
      calls.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
