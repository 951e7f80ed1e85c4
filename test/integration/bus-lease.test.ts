import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStorage, Lease, type Bus, type LeaseRole } from '@hearth/bus';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { testLog as log } from '../helpers/bus.js';
import { waitFor } from '../helpers/wait-for.js';

// The KV lease on its own, two candidates on one real nats-server.

let nats: TestNatsServer;
let bus: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'lease-test', log });
  await ensureStorage(bus);
});

afterAll(async () => {
  await bus?.close();
  await nats?.cleanup();
});

/** A candidate for `name` that records every change of role. */
function candidate(name: string, holder: string, ttlMs: number): { lease: Lease; roles: LeaseRole[] } {
  const roles: LeaseRole[] = [];
  const lease = new Lease(bus, { name, holder, ttlMs, log, onRole: (role) => roles.push(role) });
  return { lease, roles };
}

describe('Lease', () => {
  it('lets one of two candidates lead; a release passes it to the other at once, and the releaser keeps away for its cooldown', async () => {
    // a long ttl: every handover here must come from the watch, not from waiting the ttl out
    const a = candidate('job-release', 'a', 60_000);
    const b = candidate('job-release', 'b', 60_000);
    await a.lease.start();
    await b.lease.start();
    try {
      expect([a.lease.role, b.lease.role]).toEqual(['leader', 'standby']);
      expect(b.lease.holder?.holder).toBe('a');
      await a.lease.release('cannot do the job', 60_000);
      expect(a.lease.role).toBe('standby');
      await waitFor(() => b.lease.role === 'leader', { what: 'b leading after the release', timeoutMs: 5_000 });
      expect(a.roles).toEqual(['leader', 'standby']);
      expect(b.roles).toEqual(['leader']);
      // b hands it back on stop: a is still in its cooldown, so nobody leads
      await b.lease.stop();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(a.lease.role).toBe('standby');
    } finally {
      await a.lease.stop();
      await b.lease.stop();
    }
  });

  it('passes the lease on at once when its holder stops, and after the ttl when its holder goes silent', async () => {
    const a = candidate('job-silent', 'a', 600);
    const b = candidate('job-silent', 'b', 600);
    await a.lease.start();
    await b.lease.start();
    const c = candidate('job-silent', 'c', 600);
    try {
      // a clean stop: handed back
      await a.lease.stop();
      await waitFor(() => b.lease.role === 'leader', { what: 'b leading after a stopped', timeoutMs: 5_000 });
      // a holder that goes silent without handing back (its stop is never called; its renewals fail)
      await c.lease.start();
      expect(c.lease.role).toBe('standby');
      const silent = await connectBus({ servers: nats.url, name: 'silent', log });
      let dDownAt = Infinity;
      let eLeaderAt = -Infinity;
      const d = new Lease(silent, { name: 'job-silent-2', holder: 'd', ttlMs: 600, log, onRole: (role) => role === 'standby' && (dDownAt = performance.now()) });
      const e = new Lease(bus, { name: 'job-silent-2', holder: 'e', ttlMs: 600, log, onRole: (role) => role === 'leader' && (eLeaderAt = performance.now()) });
      await d.start();
      await e.start();
      expect([d.role, e.role]).toEqual(['leader', 'standby']);
      await silent.nc.close();
      await waitFor(() => e.role === 'leader', { what: 'e leading after the ttl', timeoutMs: 5_000 });
      // never two leaders: d stood down (0.8 of the ttl without a renewal) before e took over (a whole ttl without a new revision)
      expect(d.role).toBe('standby');
      expect(dDownAt).toBeLessThan(eLeaderAt);
      await d.stop();
      await e.stop();
    } finally {
      await b.lease.stop();
      await c.lease.stop();
    }
  });
});
