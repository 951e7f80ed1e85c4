import type { ReactNode } from 'react';
import { api } from '../api/client';
import type { HealthReport, StatusReply } from '../api/types';
import { useResource } from '../api/use-resource';
import { ProblemAlert } from '../components/problem';
import { Table } from '../components/table';
import { duration, when } from '../format';
import { PageHeading } from '../pages/page-heading';

/** `leading; …` or `standby; …` from a pool manager's reconcile check: its role among replicas. */
function roleOf(report: HealthReport): 'leading' | 'standby' | undefined {
  const detail = report.checks.find((c) => c.name === 'reconcile')?.detail ?? '';
  return detail.startsWith('leading') ? 'leading' : detail.startsWith('standby') ? 'standby' : undefined;
}

function Checks({ report }: { report: HealthReport }): ReactNode {
  return (
    <ul className="plain">
      {report.checks.map((check) => (
        <li key={check.name}>
          <span className={`badge ${check.ok ? 'ok' : 'bad'}`}>{check.name}</span>
          {check.detail && <span className="small">{check.detail}</span>}
        </li>
      ))}
    </ul>
  );
}

/** Every running instance of every service, as it answers the health check over NATS. */
export function ServicesPage(): ReactNode {
  const status = useResource(() => api<StatusReply>('GET', '/status'), { refreshMs: 5000 });
  const data = status.data;
  const unhealthy = data?.services.filter((s) => !s.healthy).length ?? 0;
  return (
    <>
      <PageHeading title="Services" lead="Each instance answers for itself over NATS; a missing service is one that did not answer." />
      <ProblemAlert problem={status.problem} />
      {data === undefined && !status.problem && <p className="muted">Asking every service…</p>}
      {data && (
        <p role="status">
          <span className={`badge ${data.healthy ? 'ok' : 'bad'}`}>{data.healthy ? 'healthy' : 'unhealthy'}</span>
          NATS {data.nats.connected ? `connected${data.nats.server ? ` (${data.nats.server})` : ''}` : 'not connected'} · {data.services.length} instances
          {unhealthy > 0 ? `, ${unhealthy} unhealthy` : ''}
        </p>
      )}
      <Table caption="Service instances and their health checks" columns={['Service', 'Health', 'Checks', 'Host', 'Up since']}>
        {data?.services.map((s) => {
          const role = roleOf(s);
          return (
            <tr key={s.id} data-service={s.name} data-role={role}>
              <th scope="row">
                {s.name}{' '}
                {role && <span className={`badge ${role === 'leading' ? 'ok' : 'wait'}`}>{role}</span>}
                <div className="muted small">
                  {s.id} · v{s.version}
                </div>
              </th>
              <td>
                <span className={`badge ${s.healthy ? 'ok' : 'bad'}`}>{s.healthy ? 'healthy' : 'unhealthy'}</span>
              </td>
              <td>
                <Checks report={s} />
              </td>
              <td>
                {s.host}
                <div className="muted small">pid {s.pid}</div>
              </td>
              <td>
                {when(s.startedAt)}
                <div className="muted small">{duration(s.uptimeMs)}</div>
              </td>
            </tr>
          );
        })}
      </Table>
    </>
  );
}
