import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A rejected request: the EC2 error code, message and HTTP status to answer with. */
export interface AuthProblem {
  code: string;
  message: string;
  status: number;
}

/** The access key pair the fake accepts. */
export interface FakeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What one request carries besides its body. */
export interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const authorizationPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** How far x-amz-date may be from the fake's clock (Signature Version 4: requests expire after 5 minutes; EC2 allows 15). */
const maxSkewMs = 15 * 60_000;

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as Signature Version 4 wants it in the canonical query string. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: string): string {
  return [...new URLSearchParams(query)]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
}

/**
 * Checks a request's Signature Version 4 (AWS General Reference, "Create a signed AWS API
 * request"): the Authorization header's form, the access key, the credential scope (region,
 * service `ec2`), the date, and the signature itself recomputed with the known secret.
 * Returns undefined for a good request, else what EC2 would answer.
 */
export function checkSignature(req: SignedRequest, creds: FakeCredentials, region: string, now: number): AuthProblem | undefined {
  const authorization = headerValue(req.headers, 'authorization');
  if (!authorization) return { code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token', status: 401 };
  const parsed = authorizationPattern.exec(authorization);
  if (!parsed) return { code: 'IncompleteSignature', message: 'Authorization header is not a well-formed AWS4-HMAC-SHA256 signature', status: 400 };
  const [, accessKeyId, date, scopeRegion, service, signedHeaderList, signature] = parsed as unknown as string[];
  if (accessKeyId !== creds.accessKeyId) return { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials', status: 401 };
  if (scopeRegion !== region || service !== 'ec2') {
    return { code: 'AuthFailure', message: `Credential should be scoped to a valid region (${region}) and service ec2`, status: 401 };
  }
  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  const when = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!amzDate.startsWith(date ?? '') || Number.isNaN(when)) return { code: 'AuthFailure', message: 'X-Amz-Date is missing or does not match the credential scope', status: 401 };
  if (Math.abs(now - when) > maxSkewMs) return { code: 'RequestExpired', message: `Request has expired (x-amz-date ${amzDate})`, status: 400 };
  const signedHeaders = (signedHeaderList ?? '').split(';');
  if (!signedHeaders.includes('host')) return { code: 'AuthFailure', message: 'the host header must be signed', status: 401 };
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(req.headers, h) ?? ''}\n`).join('');
  const payloadHash = headerValue(req.headers, 'x-amz-content-sha256') ?? sha256(req.body);
  const canonicalRequest = [req.method, req.path || '/', canonicalQuery(req.query), canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const scope = `${date}/${scopeRegion}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${creds.secretAccessKey}`, date ?? '');
  for (const part of [scopeRegion ?? '', service ?? '', 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const given = Buffer.from(signature ?? '');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      status: 403,
    };
  }
  return undefined;
}
