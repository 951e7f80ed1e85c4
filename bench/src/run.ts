import { allocationBench, reconcileBench } from './allocation.js';
import { busBench } from './bus.js';
import { dockerLoginBench } from './docker-login.js';
import { gatewayBench } from './gateway.js';

/** `npm run bench [-- NAME…]`: runs the named benchmarks, or all. Figures only; nothing passes or fails. */
const benches: Record<string, () => Promise<void>> = { bus: busBench, allocation: allocationBench,
  reconcile: reconcileBench, 'docker-login': dockerLoginBench, gateway: gatewayBench };

// interrupted or terminated: exit, so the 'exit' handlers stop the servers and services a bench started
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}; expected one of: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) await benches[name]?.();
