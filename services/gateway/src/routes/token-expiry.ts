import { invalid } from '../problem.js';
import { tokenLifetimeDays } from '../schemas.js';

const day = 86_400_000;

/**
 * When a new token expires: the requested `expiresAt` (RFC 3339), or the default lifetime.
 * @throws HttpProblem 400 naming `expiresAt` when it is not a date and time, is not in the
 *   future, or is further ahead than the longest lifetime.
 */
export function tokenExpiry(requested: string | undefined, now = Date.now()): number {
  if (requested === undefined) return now + tokenLifetimeDays.default * day;
  // RFC 3339 date-time only: Date.parse alone would take "1" or "March 3"
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(requested) ? Date.parse(requested) : Number.NaN;
  if (Number.isNaN(at)) throw invalid('/expiresAt', `not a date and time: ${JSON.stringify(requested)}; expected RFC 3339, e.g. 2027-03-01T00:00:00Z`);
  if (at <= now) throw invalid('/expiresAt', `${requested} is not in the future`);
  if (at > now + tokenLifetimeDays.max * day) throw invalid('/expiresAt', `${requested} is more than ${tokenLifetimeDays.max} days ahead; tokens live at most that long`);
  return at;
}
