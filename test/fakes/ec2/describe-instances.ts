import { Ec2ApiError, stateCodes, type FakeInstance } from './account.js';
import type { ActionContext } from './context.js';
import { instanceItem, reservationXml } from './instance-xml.js';
import type { QueryParams } from './query.js';
import { el, response, set, type Xml } from './xml.js';

/** A filter value with EC2's wildcards: `*` any run of characters, `?` one character. */
function matches(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** The values an instance has for one filter name (API reference, DescribeInstances, Filter.N). */
function valuesOf(ctx: ActionContext, instance: FakeInstance, name: string): string[] {
  if (name.startsWith('tag:')) {
    const value = instance.tags.get(name.slice(4));
    return value === undefined ? [] : [value];
  }
  const state = ctx.account.state(instance);
  switch (name) {
    case 'instance-id':
      return [instance.id];
    case 'instance-state-name':
      return [state];
    case 'instance-state-code':
      return [String(stateCodes[state])];
    case 'instance-type':
      return [instance.instanceType];
    case 'image-id':
      return [instance.imageId];
    case 'subnet-id':
      return [instance.subnetId];
    case 'client-token':
      return instance.clientToken === undefined ? [] : [instance.clientToken];
    case 'private-ip-address':
      return [instance.privateIp];
    case 'reservation-id':
      return [instance.reservationId];
    case 'tag-key':
      return [...instance.tags.keys()];
    case 'tag-value':
      return [...instance.tags.values()];
    default:
      throw new Ec2ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
  }
}

interface Filter {
  name: string;
  values: string[];
}

function filtersOf(params: QueryParams): Filter[] {
  return params.structs('Filter').map((f) => ({ name: f.get('Name') ?? '', values: f.list('Value') }));
}

/** Filters AND together; the values of one filter OR together. */
function selected(ctx: ActionContext, instance: FakeInstance, filters: readonly Filter[]): boolean {
  return filters.every((f) => {
    const have = valuesOf(ctx, instance, f.name);
    return f.values.some((pattern) => have.some((value) => matches(pattern, value)));
  });
}

/** The instances named by InstanceId.N, each well-formed and known, or the error EC2 gives. */
function byIds(ctx: ActionContext, ids: readonly string[]): FakeInstance[] {
  const malformed = ids.find((id) => !/^i-[0-9a-f]{8,17}$/.test(id));
  if (malformed !== undefined) throw new Ec2ApiError('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
  const missing = ids.filter((id) => !ctx.account.instances.has(id));
  if (missing.length > 0) {
    const list = missing.map((id) => `'${id}'`).join(', ');
    throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID${missing.length > 1 ? 's' : ''} ${list} do${missing.length > 1 ? '' : 'es'} not exist`);
  }
  return ids.flatMap((id) => ctx.account.instances.get(id) ?? []);
}

/**
 * NextToken: opaque to the caller; here the launch order of the last instance served and the
 * request it belongs to, so instances that change state between pages shift nothing.
 */
function encodeToken(after: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ after, fingerprint })).toString('base64url');
}

function decodeToken(token: string, fingerprint: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown; fingerprint?: unknown };
    if (typeof parsed.after === 'number' && parsed.fingerprint === fingerprint) return parsed.after;
  } catch {
    // falls through to the error below
  }
  throw new Ec2ApiError('InvalidParameterValue', `Invalid value '${token}' for NextToken`);
}

/** One page's instances grouped by reservation, in order. */
function reservations(ctx: ActionContext, page: readonly FakeInstance[]): Xml {
  const groups = new Map<string, FakeInstance[]>();
  for (const instance of page) groups.set(instance.reservationId, [...(groups.get(instance.reservationId) ?? []), instance]);
  return set('reservationSet', [...groups.values()], (instances) => [
    ...reservationXml(instances[0]?.reservationId ?? '', ctx.catalog.ownerId, instances[0]?.securityGroupIds ?? []),
    set('instancesSet', instances, (i) => instanceItem(ctx, i)),
  ]);
}

/**
 * EC2: DescribeInstances. InstanceId.N (each must exist; no MaxResults with it), Filter.N, and
 * MaxResults (5 to 1000) with NextToken paging in launch order. Pages may be shorter than
 * MaxResults (the fake's pageSize), as EC2's may.
 */
export function describeInstances(ctx: ActionContext): string {
  const { params } = ctx;
  const ids = params.list('InstanceId');
  const maxResults = params.get('MaxResults');
  if (ids.length > 0 && maxResults !== undefined) {
    throw new Ec2ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const filters = filtersOf(params);
  const candidates = ids.length > 0 ? byIds(ctx, ids) : ctx.account.ordered();
  const chosen = candidates.filter((i) => selected(ctx, i, filters));
  let limit = chosen.length;
  if (maxResults !== undefined) {
    const n = Number(maxResults);
    if (!Number.isInteger(n) || n < 5 || n > 1000) {
      throw new Ec2ApiError('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    limit = n;
  }
  if (ids.length === 0) limit = Math.min(limit, ctx.pageSize);
  const fingerprint = params.fingerprint(['NextToken']);
  const token = params.get('NextToken');
  const after = token === undefined || token === '' ? 0 : decodeToken(token, fingerprint);
  const rest = chosen.filter((i) => i.seq > after);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  const next = rest.length > limit && last ? encodeToken(last.seq, fingerprint) : undefined;
  return response('DescribeInstances', ctx.requestId, reservations(ctx, page), next === undefined ? undefined : el('nextToken', next));
}
