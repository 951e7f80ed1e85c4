import type { Bus } from './connect.js';
import { collect } from './request.js';
import type { HealthReport } from './schemas/health.js';
import { subjects } from './subjects.js';

/**
 * Asks every instance of every service (or of one) for its health and returns what
 * answered, sorted by name. A service that is down is simply absent: compare with
 * what is expected to be running.
 */
export async function checkHealth(
  bus: Bus,
  opts: { service?: string; maxWaitMs?: number } = {},
): Promise<HealthReport[]> {
  const replies = await collect(bus, subjects.health.check, opts.service ? { service: opts.service } : {}, {
    maxWaitMs: opts.maxWaitMs ?? 1_500,
    // health probes may take a moment; wait this long after the last answer for more
    stallMs: 300,
  });
  return replies.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
