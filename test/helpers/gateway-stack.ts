import { addUser, apiToken, startGateway, type TestGateway } from './gateway.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { startPoolManager, type TestPoolManager } from './pool-manager.js';

/** What the API tests of machines run against: NATS, a pool manager, a gateway, an admin and two scientists. */
export interface GatewayStack {
  nats: TestNatsServer;
  pm: TestPoolManager;
  gw: TestGateway;
  /** API tokens of `admin`, `ada` and `bob` (scientists). */
  admin: string;
  ada: string;
  bob: string;
  /** Stops the gateway, the pool manager and NATS, in that order. */
  stop(): Promise<void>;
}

/**
 * Starts nats-server, a pool manager configured by `poolManagerSet` (`--set` overrides:
 * machine types, clouds, pools), a gateway, and the users ada and bob. What started is
 * stopped again when a later step fails.
 */
export async function startGatewayStack(poolManagerSet: string[]): Promise<GatewayStack> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
  };
  try {
    const nats = await startNatsServer();
    started.push({ stop: () => nats.cleanup() });
    const pm = await startPoolManager(nats.url, poolManagerSet);
    started.push({ stop: () => pm.cleanup() });
    const gw = await startGateway({ natsUrl: nats.url });
    started.push(gw);
    const admin = await apiToken(gw.url, 'admin', gw.adminPassword);
    const ada = await addUser(gw.url, admin, { name: 'ada', password: 'ada lovelace 1815' });
    const bob = await addUser(gw.url, admin, { name: 'bob', password: 'bob the builder 1999' });
    return { nats, pm, gw, admin, ada, bob, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
