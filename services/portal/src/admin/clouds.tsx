import { useState, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import { useLiveEvents } from '../api/events';
import type { CloudStatus, Problem } from '../api/types';
import { useResource } from '../api/use-resource';
import { ProblemAlert } from '../components/problem';
import { Table } from '../components/table';
import { duration, memory, when } from '../format';
import { PageHeading } from '../pages/page-heading';

function Quota({ quota }: { quota: CloudStatus['quota'] }): ReactNode {
  if (!quota) return <span className="muted">not reported</span>;
  return (
    <span>
      {quota.used.instances}/{quota.limits.instances ?? '∞'} instances · {quota.used.cores}/{quota.limits.cores ?? '∞'} cores ·{' '}
      {memory(quota.used.ramMb)}/{quota.limits.ramMb === null ? '∞' : memory(quota.limits.ramMb)}
    </span>
  );
}

/** Each cloud's health and why, its recent API and launch figures, and drain / undrain. */
export function CloudsPage(): ReactNode {
  const clouds = useResource(async () => (await api<{ clouds: CloudStatus[] }>('GET', '/clouds')).clouds, { refreshMs: 5000 });
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState<string>();
  useLiveEvents((m) => {
    if (m.topic === 'cloud') clouds.reload();
  });
  const toggle = (cloud: CloudStatus): void => {
    setBusy(cloud.name);
    setProblem(undefined);
    api<CloudStatus>('POST', `/clouds/${encodeURIComponent(cloud.name)}/${cloud.drained ? 'undrain' : 'drain'}`).then(
      () => {
        setBusy(undefined);
        clouds.reload();
      },
      (err: unknown) => {
        setBusy(undefined);
        setProblem(toProblem(err));
      },
    );
  };

  return (
    <>
      <PageHeading title="Clouds" lead="A drained cloud gets no new launches; machines in use stay until released." />
      <ProblemAlert problem={problem ?? clouds.problem} />
      {clouds.data === undefined && !clouds.problem && <p className="muted">Loading clouds…</p>}
      <Table caption="Clouds and their health" columns={['Cloud', 'Health', 'API', 'Launches', 'Quota', 'Drain']}>
        {clouds.data?.map((c) => (
          <tr key={c.name} data-cloud={c.name}>
            <th scope="row">
              {c.name}
              <div className="muted small">
                {c.driver} · {c.region}
              </div>
            </th>
            <td>
              <span className={`badge ${c.health === 'healthy' ? 'ok' : c.health === 'degraded' ? 'wait' : 'bad'}`}>{c.health}</span>
              {c.reason && <div className="small">{c.reason}</div>}
              <div className="muted small">since {when(c.changedAt)}</div>
            </td>
            <td>
              {c.stats.apiErrors}/{c.stats.apiCalls} errors
              {c.stats.apiLatencyMsP95 !== undefined && <div className="muted small">p95 {duration(c.stats.apiLatencyMsP95)}</div>}
            </td>
            <td>
              {c.stats.launchFailures}/{c.stats.launches} failed
              {c.stats.bootMsP50 !== undefined && <div className="muted small">boot p50 {duration(c.stats.bootMsP50)}</div>}
            </td>
            <td>
              <Quota quota={c.quota} />
            </td>
            <td>
              {c.drained && <div className="badge wait">drained{c.drainedBy ? ` by ${c.drainedBy}` : ''}</div>}
              <button type="button" onClick={() => toggle(c)} disabled={busy === c.name} className={c.drained ? '' : 'danger'}>
                {c.drained ? `Undrain ${c.name}` : `Drain ${c.name}`}
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}
