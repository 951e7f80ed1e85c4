import type { ReactNode } from 'react';
import { api } from '../api/client';
import { useLiveEvents } from '../api/events';
import type { MachineType, Me } from '../api/types';
import { useResource } from '../api/use-resource';
import { ProblemAlert } from '../components/problem';
import { aOrAn, duration, memory } from '../format';
import { href, navigate } from '../router';
import { startRequest } from '../request-flow';
import { PageHeading } from './page-heading';

/** Machine types with their warm counts per cloud, refreshed live; "Request" starts a request and follows it. */
export function CataloguePage({ me }: { me: Me }): ReactNode {
  const types = useResource(async () => (await api<{ types: MachineType[] }>('GET', '/machine-types')).types, { refreshMs: 3000 });
  useLiveEvents((m) => {
    if (m.topic === 'machine' || m.topic === 'pool') types.reload();
  });

  const request = (type: string): void => navigate(`/request/${startRequest(type)}`);

  return (
    <>
      <PageHeading title="Machine types" lead="Pick a machine; a warm one is yours in moments. Counts update live." />
      {!me.sshPublicKey && (
        <p className="warning">
          Machines are set up for your SSH public key, and you have not saved one yet: add it in <a href={href('/settings')}>Settings</a> first.
        </p>
      )}
      <ProblemAlert problem={types.problem} />
      {types.data === undefined && !types.problem && <p className="muted">Loading machine types…</p>}
      {types.data?.length === 0 && <p>No machine types are configured yet. An administrator adds them in hearth.yaml.</p>}
      <ul className="catalogue" aria-label="Machine types">
        {types.data?.map((t) => (
          <li key={t.name} className="card type-card" data-type={t.name}>
            <h2>{t.name}</h2>
            {t.description && <p>{t.description}</p>}
            <p className="specs">
              {t.cpus} {t.cpus === 1 ? 'core' : 'cores'} · {memory(t.memoryMb)}
              {t.gpus > 0 && ` · ${t.gpus} GPU${t.gpus > 1 ? 's' : ''}`}
              {t.sudo && ' · sudo'} · idle limit {duration(t.idleLimitMs)}
            </p>
            <p className="warm">
              <span className={t.ready > 0 ? 'badge ok' : 'badge idle'}>{t.ready} ready</span>
              {t.queued > 0 && <span className="badge wait">{t.queued} waiting</span>}
            </p>
            {Object.keys(t.warm).length > 0 && (
              <dl className="warm-per-cloud" aria-label="Warm machines per cloud">
                {Object.entries(t.warm).map(([cloud, n]) => (
                  <div key={cloud}>
                    <dt>{cloud}</dt>
                    <dd>{n}</dd>
                  </div>
                ))}
              </dl>
            )}
            <button type="button" className="primary" onClick={() => request(t.name)} aria-label={`Request ${aOrAn(t.name)} machine`}>
              Request
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
