import {
  AbortedError,
  AuthError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
} from '../errors.js';

/**
 * What the AWS SDK rejects with: a service exception whose `name` is EC2's error code
 * (`InsufficientInstanceCapacity`, `InvalidAMIID.NotFound`, …) with the HTTP status in
 * `$metadata`, or a Node/SDK error (`ECONNREFUSED`, `TimeoutError`, `CredentialsProviderError`)
 * when EC2 never answered.
 */
interface SdkFailure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function failureOf(err: unknown): SdkFailure {
  return typeof err === 'object' && err !== null ? (err as SdkFailure) : { message: String(err) };
}

/** EC2's error code (the SDK exception's name), e.g. `InvalidInstanceID.NotFound`. */
export function errorCode(err: unknown): string {
  return failureOf(err).name ?? 'Error';
}

/** The HTTP status EC2 answered with, or undefined when it did not answer. */
export function statusOf(err: unknown): number | undefined {
  return failureOf(err).$metadata?.httpStatusCode;
}

/** The instance id names no instance of this account (for describe, terminate and tag: gone). */
export function isInstanceNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed';
}

/**
 * EC2 error codes by what they mean to the pool manager. From the EC2 API reference, "Error
 * codes for the Amazon EC2 API" (client and server error codes).
 */
const capacityCodes = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
]);
const quotaCodes = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'VolumeLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'ResourceLimitExceeded',
]);
/** Throttling: RequestLimitExceeded is EC2's; the others are what the AWS SDKs treat as throttling. */
const throttlingCodes = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
]);
const unavailableCodes = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'TimeoutError', 'RequestTimeout']);
const authCodes = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'Blocked',
  'OptInRequired',
  'PendingVerification',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'UnrecognizedClientException',
  'ExpiredToken',
  'RequestExpired',
  'CredentialsProviderError',
]);
/** Permanent problems with what was asked for: an image, type, subnet, group or key pair EC2 does not accept. */
const invalidSpecCodes = new Set([
  'Unsupported',
  'UnsupportedOperation',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'InvalidUserData.Malformed',
  'InvalidBlockDeviceMapping',
  'InvalidInstanceType',
  'IdempotentParameterMismatch',
]);
/** Code families of unknown or malformed ids of what a launch names (InvalidAMIID.NotFound, InvalidSubnetID.Malformed…). */
const invalidSpecFamilies = ['InvalidAMIID.', 'InvalidSubnetID.', 'InvalidGroup.', 'InvalidGroupId.', 'InvalidKeyPair.', 'InvalidSecurityGroupID.'];

/** Socket errors that mean EC2 could not be reached: retry later. */
const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True for a failure worth sending the same request again after a pause: throttling, 5xx, a dropped connection. */
export function isRetryable(err: unknown): boolean {
  const failure = failureOf(err);
  const code = errorCode(err);
  if (throttlingCodes.has(code) || unavailableCodes.has(code)) return true;
  if (failure.code !== undefined && unreachableCodes.has(failure.code)) return true;
  const status = statusOf(err);
  // 500 is also InsufficientInstanceCapacity, which no immediate retry fixes: only 502-504 by status
  return status === 502 || status === 503 || status === 504;
}

/** True when EC2 asked us to slow down (the back-off then starts longer). */
export function isThrottling(err: unknown): boolean {
  return throttlingCodes.has(errorCode(err));
}

/**
 * Turns whatever an EC2 call rejected with into the CloudError the contract names. `doing`
 * says what was being done (`launching machine m-1 on aws-eu`) and leads the message; the
 * original error is the cause. Nothing outside this driver reads EC2's codes or text.
 */
export function classify(err: unknown, cloud: string, doing: string): CloudError {
  if (err instanceof CloudError) return err;
  const failure = failureOf(err);
  const code = errorCode(err);
  const status = statusOf(err);
  const text = (failure.message ?? 'unknown error').trim();
  const what = `${doing}: ${text} (${status === undefined ? code : `EC2 ${code}, HTTP ${status}`})`;
  const options = { cause: err };
  if (code === 'AbortError' || failure.code === 'ABORT_ERR') return new AbortedError(cloud, `${doing}: aborted`, options);
  if (capacityCodes.has(code)) return new CapacityError(cloud, what, options);
  if (quotaCodes.has(code)) return new QuotaExceededError(cloud, what, options);
  if (authCodes.has(code)) return new AuthError(cloud, what, options);
  if (invalidSpecCodes.has(code) || invalidSpecFamilies.some((family) => code.startsWith(family))) {
    return new InvalidSpecError(cloud, what, options);
  }
  if (status === 401 || status === 403) return new AuthError(cloud, what, options);
  // throttled past the retry budget, 5xx, unreachable, and codes not listed above: worth a retry later
  return new CloudUnavailableError(cloud, what, options);
}
