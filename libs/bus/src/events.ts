import { formatPath, schemaIssues } from '@hearth/config';
import type { Bus } from './connect.js';
import { HearthError } from './errors.js';
import { MachineEvent } from './schemas/machines.js';
import { UsageEvent } from './schemas/usage.js';
import { subjects } from './subjects.js';

function check(schema: typeof MachineEvent | typeof UsageEvent, value: unknown, what: string): void {
  const issues = schemaIssues(schema, value);
  if (issues.length > 0) {
    const text = issues.map((i) => `${formatPath(i.path) || '(root)'} ${i.message}`).join('; ');
    throw new HearthError('INTERNAL', `${what} does not match its schema: ${text}`);
  }
}

/** Publishes a live machine event on `hearth.machines.events.<kind>` (core NATS: live, not durable). */
export function publishMachineEvent(bus: Bus, event: MachineEvent): void {
  check(MachineEvent, event, 'machine event');
  bus.nc.publish(`${subjects.machines.eventPrefix}.${event.kind}`, JSON.stringify(event));
}

/**
 * Appends a usage record to the USAGE stream (`hearth.usage.<event>`) and waits for the
 * stream's acknowledgement, so an acknowledged record is on disk.
 */
export async function recordUsage(bus: Bus, event: UsageEvent): Promise<void> {
  check(UsageEvent, event, 'usage event');
  await bus.js.publish(`${subjects.usage.prefix}.${event.event}`, JSON.stringify(event));
}

/** Calls `handler` with every valid machine event; invalid ones are dropped. Returns an unsubscribe. */
export function onMachineEvents(bus: Bus, handler: (event: MachineEvent) => void): () => void {
  const sub = bus.nc.subscribe(subjects.machines.events, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const value: unknown = msg.json();
        if (schemaIssues(MachineEvent, value).length === 0) handler(value as MachineEvent);
      } catch {
        // not JSON: not ours
      }
    },
  });
  return () => sub.unsubscribe();
}
