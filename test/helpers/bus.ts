import { connectBus, HearthError, type Bus } from '@hearth/bus';
import { createLogger } from '@hearth/log';

/** A quiet logger for tests' own connections. */
export const testLog = createLogger({ service: 'test', level: 'silent' });

/** The HearthError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function hearthError(promise: Promise<unknown>): Promise<HearthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof HearthError)) throw new Error(`expected a HearthError, got ${String(err)}`);
  return err;
}

/** Two connections: `host` for the services under test, `client` to play the caller. */
export async function connectPair(url: string): Promise<{ host: Bus; client: Bus; close(): Promise<void> }> {
  const host = await connectBus({ servers: url, name: 'services', log: testLog });
  const client = await connectBus({ servers: url, name: 'caller', log: testLog });
  return {
    host,
    client,
    close: async () => {
      await client.close();
      await host.close();
    },
  };
}
