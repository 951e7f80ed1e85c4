import { useState, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import { useLiveEvents } from '../api/events';
import type { Machine, MachineEvent, Problem } from '../api/types';
import { ConnectionCard } from '../components/connection-card';
import { when } from '../format';
import { ProblemAlert } from '../components/problem';
import { useResource } from '../api/use-resource';
import { href } from '../router';
import { PageHeading } from './page-heading';

/** Release asks once more in place (no modal), so a stray Enter never deletes a machine. */
function ReleaseButton({ machine, onReleased }: { machine: Machine; onReleased: () => void }): ReactNode {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const release = (): void => {
    setBusy(true);
    api<void>('DELETE', `/machines/${encodeURIComponent(machine.id)}`).then(onReleased, (err: unknown) => {
      setProblem(toProblem(err));
      setBusy(false);
      setConfirming(false);
    });
  };
  return (
    <div className="actions">
      {!confirming ? (
        <button type="button" onClick={() => setConfirming(true)}>
          Release…
        </button>
      ) : (
        <>
          <span>Release {machine.id}? Everything on it is deleted.</span>
          <button type="button" className="danger" onClick={release} disabled={busy} autoFocus>
            {busy ? 'Releasing…' : 'Release machine'}
          </button>
          <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
            Keep it
          </button>
        </>
      )}
      <ProblemAlert problem={problem} />
    </div>
  );
}

/** What a reclaim warning tells its user: which machine, when, and whether using it keeps it. */
function reclaimNotice(event: MachineEvent): string {
  const machine = event.machineId ?? 'A machine';
  const at = event.reclaimAt !== undefined ? ` at ${when(event.reclaimAt)}` : ' soon';
  return event.reason === 'maximum lifetime reached'
    ? `${machine} has reached its maximum lifetime and will be reclaimed${at}. Save your work elsewhere.`
    : `${machine} has been idle and will be reclaimed${at}. Log in or run something on it to keep it.`;
}

/** The caller's machines, each with its connection card, the reclaim warning when idle, and release. */
export function MachinesPage(): ReactNode {
  const machines = useResource(async () => (await api<{ machines: Machine[] }>('GET', '/machines')).machines, { refreshMs: 5000 });
  const [notice, setNotice] = useState('');
  useLiveEvents((m) => {
    if (m.topic !== 'machine') return;
    if (m.event.kind === 'reclaim-warning') setNotice(reclaimNotice(m.event));
    if (m.event.kind === 'reclaimed') setNotice(`${m.event.machineId ?? 'A machine'} was reclaimed after being idle.`);
    machines.reload();
  });
  const mine = machines.data?.filter((m) => m.state === 'allocated' || m.state === 'deleting');

  return (
    <>
      <PageHeading title="My machines" lead="Release a machine when you are done; idle machines are reclaimed after a warning." />
      <p role="status" aria-live="polite" className={notice ? 'warning' : 'visually-hidden'}>
        {notice}
      </p>
      <ProblemAlert problem={machines.problem} />
      {mine === undefined && !machines.problem && <p className="muted">Loading your machines…</p>}
      {mine?.length === 0 && (
        <p>
          You have no machines. <a href={href('/')}>Request one</a> from the catalogue.
        </p>
      )}
      <div className="machine-list">
        {mine?.map((m) => (
          <ConnectionCard key={m.id} machine={m}>
            {m.state === 'deleting' ? (
              <p className="muted">Being released…</p>
            ) : (
              <ReleaseButton
                machine={m}
                onReleased={() => {
                  setNotice(`${m.id} released.`);
                  machines.reload();
                }}
              />
            )}
          </ConnectionCard>
        ))}
      </div>
    </>
  );
}
