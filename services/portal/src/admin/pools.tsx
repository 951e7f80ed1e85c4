import { useState, type FormEvent, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import { useLiveEvents } from '../api/events';
import type { PoolSettings, PoolStatus, Problem } from '../api/types';
import { useResource } from '../api/use-resource';
import { ProblemAlert } from '../components/problem';
import { PageHeading } from '../pages/page-heading';

function ResizeForm({ pool, onDone }: { pool: PoolStatus; onDone: (changed: boolean) => void }): ReactNode {
  const { type, cloud } = pool.settings;
  const [minReady, setMinReady] = useState(String(pool.settings.minReady));
  const [max, setMax] = useState(String(pool.settings.max));
  const [weight, setWeight] = useState(String(pool.settings.weight));
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const id = `${type}-${cloud}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const body = { minReady: Number(minReady), max: Number(max), weight: Number(weight) };
    api<PoolSettings>('PATCH', `/pools/${encodeURIComponent(type)}/${encodeURIComponent(cloud)}`, body).then(
      () => onDone(true),
      (err: unknown) => {
        setProblem(toProblem(err));
        setBusy(false);
      },
    );
  };
  return (
    <form className="resize" onSubmit={submit} aria-label={`Resize ${type} on ${cloud}`}>
      <label htmlFor={`${id}-min`}>Min ready</label>
      <input id={`${id}-min`} type="number" min={0} step={1} value={minReady} onChange={(e) => setMinReady(e.target.value)} required autoFocus />
      <label htmlFor={`${id}-max`}>Max</label>
      <input id={`${id}-max`} type="number" min={0} step={1} value={max} onChange={(e) => setMax(e.target.value)} required />
      <label htmlFor={`${id}-weight`}>Weight</label>
      <input id={`${id}-weight`} type="number" min={0} step="any" value={weight} onChange={(e) => setWeight(e.target.value)} required />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={() => onDone(false)} disabled={busy}>
          Cancel
        </button>
      </div>
      <ProblemAlert problem={problem} />
    </form>
  );
}

function PoolCell({ pool, onChanged }: { pool: PoolStatus; onChanged: () => void }): ReactNode {
  const [editing, setEditing] = useState(false);
  const { counts, settings } = pool;
  const launching = (counts.launching ?? 0) + (counts.booting ?? 0);
  return (
    <td className="pool-cell" data-pool={`${settings.type}/${settings.cloud}`}>
      <dl className="counts">
        <div>
          <dt>warm</dt>
          <dd data-count="ready">{counts.ready ?? 0}</dd>
        </div>
        <div>
          <dt>allocated</dt>
          <dd data-count="allocated">{counts.allocated ?? 0}</dd>
        </div>
        <div>
          <dt>launching</dt>
          <dd data-count="launching">{launching}</dd>
        </div>
        {(counts.failed ?? 0) > 0 && (
          <div className="bad-text">
            <dt>failed</dt>
            <dd>{counts.failed}</dd>
          </div>
        )}
      </dl>
      {editing ? (
        <ResizeForm
          pool={pool}
          onDone={(changed) => {
            setEditing(false);
            if (changed) onChanged();
          }}
        />
      ) : (
        <p className="settings-line">
          <span>
            min {settings.minReady} · max {settings.max} · weight {settings.weight}
            {settings.mode === 'predictive' && ' · predictive'}
          </span>
          <button type="button" className="small" onClick={() => setEditing(true)} aria-label={`Resize ${settings.type} on ${settings.cloud}`}>
            Resize
          </button>
        </p>
      )}
      {pool.queued > 0 && <p className="badge wait">{pool.queued} waiting</p>}
      {settings.changedBy && <p className="muted small">changed by {settings.changedBy}</p>}
    </td>
  );
}

/** Pools as a grid of machine types × clouds, with live counts and inline resize. */
export function PoolsPage(): ReactNode {
  const pools = useResource(async () => (await api<{ pools: PoolStatus[] }>('GET', '/pools')).pools, { refreshMs: 3000 });
  useLiveEvents((m) => {
    if (m.topic === 'pool' || m.topic === 'machine' || m.topic === 'usage') pools.reload();
  });
  const list = pools.data ?? [];
  const types = [...new Set(list.map((p) => p.settings.type))].sort();
  const clouds = [...new Set(list.map((p) => p.settings.cloud))].sort();
  const find = (type: string, cloud: string): PoolStatus | undefined => list.find((p) => p.settings.type === type && p.settings.cloud === cloud);

  return (
    <>
      <PageHeading title="Pools" lead="Warm machines kept per type and cloud. Counts update live; resizing takes effect at once." />
      <ProblemAlert problem={pools.problem} />
      {pools.data === undefined && !pools.problem && <p className="muted">Loading pools…</p>}
      {pools.data?.length === 0 && <p>No pools are configured.</p>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="grid">
            <caption className="visually-hidden">Pools by machine type (rows) and cloud (columns)</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                {clouds.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {types.map((type) => (
                <tr key={type}>
                  <th scope="row">{type}</th>
                  {clouds.map((cloud) => {
                    const pool = find(type, cloud);
                    return pool ? (
                      <PoolCell key={cloud} pool={pool} onChanged={pools.reload} />
                    ) : (
                      <td key={cloud} className="muted">
                        no pool
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
