import type { ApiClient } from '../api/client.js';
import type { MachineRequest } from '../api/types.js';
import { ui } from '../ui/terminal.js';

const pollMs = 500;

/**
 * Follows a queued request until it is allocated, failed or cancelled, polling
 * GET /api/v1/requests/:id; with `progress`, shows the position in the queue, then that a
 * machine is being launched for it. Ctrl-C cancels the request on the server before the
 * CLI exits, so nobody is handed a machine they gave up on.
 */
export async function waitForMachine(client: ApiClient, queued: MachineRequest, opts: { progress: boolean }): Promise<MachineRequest> {
  let current = queued;
  const progress = opts.progress ? ui.progress(() => describeWait(current)) : undefined;
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  try {
    while (current.state === 'queued' && !interrupted) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      if (!interrupted) current = await client.getRequest(current.id);
    }
    if (interrupted && current.state === 'queued') {
      await client.cancelRequest(current.id);
      current = { ...current, state: 'cancelled', error: 'cancelled with Ctrl-C' };
    }
    return current;
  } finally {
    process.off('SIGINT', onInterrupt);
    progress?.done();
  }
}

/** What the wait looks like now: `position 3 in the queue for analysis`, or launching. */
export function describeWait(request: MachineRequest): string {
  if (request.state !== 'queued') return `request ${request.id} ${request.state}`;
  const where = request.position === undefined || request.position <= 1 ? `first in line for a ${request.type} machine` : `position ${request.position} in the queue for a ${request.type} machine`;
  return request.launching ? `${where}; ${request.launching} is being launched for you` : where;
}
