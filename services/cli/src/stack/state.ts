import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import { schemaIssues } from '@hearth/config';

export const ChildState = Type.Union([
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('backoff'),
  Type.Literal('stopping'),
  Type.Literal('stopped'),
]);

export const ChildStatus = Type.Object({
  name: Type.String(),
  pid: Type.Optional(Type.Integer()),
  state: ChildState,
  restarts: Type.Integer({ minimum: 0 }),
  lastExit: Type.Optional(Type.String({ description: 'how the last run ended, e.g. "code 1" or "signal SIGKILL"' })),
  since: Type.String({ format: 'date-time' }),
});
export type ChildStatus = Static<typeof ChildStatus>;

/** What the supervisor writes for `status`, `down` and a detached `up` to read. */
export const StackState = Type.Object({
  supervisorPid: Type.Integer(),
  phase: Type.Union([Type.Literal('starting'), Type.Literal('running'), Type.Literal('stopping'), Type.Literal('failed')]),
  /** The last step taken while starting, for progress display. */
  step: Type.String(),
  error: Type.Optional(Type.String()),
  startedAt: Type.String({ format: 'date-time' }),
  dataDir: Type.String(),
  installation: Type.String(),
  nats: Type.Object({
    url: Type.String(),
    /** True when the stack joined an existing NATS (nats.url) instead of running its own. */
    external: Type.Boolean(),
    monitorUrl: Type.Optional(Type.String()),
    version: Type.String(),
    storeDir: Type.String(),
    process: ChildStatus,
  }),
  services: Type.Array(ChildStatus),
  portal: Type.Optional(Type.String()),
  warnings: Type.Array(Type.String()),
});
export type StackState = Static<typeof StackState>;

/** Writes the state atomically (temp file + rename), so readers never see half a file. */
export function writeState(file: string, state: StackState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The state, or undefined when there is none or it does not parse. */
export function readState(file: string): StackState | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return schemaIssues(StackState, value).length === 0 ? (value as StackState) : undefined;
  } catch {
    return undefined;
  }
}
