import { useEffect, useState, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import { useLiveEvents } from '../api/events';
import type { Problem, UsageEvent } from '../api/types';
import { ProblemAlert } from '../components/problem';
import { Table } from '../components/table';
import { duration, timeOfDay } from '../format';
import { PageHeading } from '../pages/page-heading';

const keep = 200;

const identity = (e: UsageEvent): string => [e.at, e.event, e.type, e.cloud, e.machineId, e.requestId, e.by].join('|');

/** Newest first, each event once: the first page and live events may overlap while the page loads. */
function merge(a: UsageEvent[], b: UsageEvent[]): UsageEvent[] {
  const seen = new Set<string>();
  return [...a, ...b]
    .filter((e) => {
      const id = identity(e);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((x, y) => y.at - x.at)
    .slice(0, keep);
}

function details(e: UsageEvent): string {
  const parts: string[] = [];
  if (e.waitMs !== undefined) parts.push(`waited ${duration(e.waitMs)}${e.warm === undefined ? '' : e.warm ? ' (warm)' : ' (cold)'}`);
  if (e.bootMs !== undefined) parts.push(`booted in ${duration(e.bootMs)}`);
  if (e.by) parts.push(`by ${e.by}`);
  if (e.after) parts.push(Object.entries(e.after).map(([k, v]) => `${k} ${String(v)}`).join(', '));
  if (e.reason) parts.push(e.reason);
  return parts.join(' · ');
}

/** The newest usage events, then every new one as it happens (newest first). */
export function UsagePage(): ReactNode {
  const [events, setEvents] = useState<UsageEvent[]>();
  const [problem, setProblem] = useState<Problem>();
  const [paused, setPaused] = useState(false);
  useEffect(() => {
    api<{ events: UsageEvent[] }>('GET', `/usage?limit=${keep}`).then(
      (reply) => setEvents((live) => merge(live ?? [], reply.events)),
      (err: unknown) => setProblem(toProblem(err)),
    );
  }, []);
  useLiveEvents((m) => {
    if (m.topic === 'usage' && !paused) setEvents((list) => merge([m.event], list ?? []));
  });

  return (
    <>
      <PageHeading title="Usage" lead="Every lifecycle step as it happens: requests, allocations, launches, releases, resizes.">
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Resume feed' : 'Pause feed'}
        </button>
      </PageHeading>
      <ProblemAlert problem={problem} />
      {events === undefined && !problem && <p className="muted">Loading usage…</p>}
      {events?.length === 0 && <p className="muted">Nothing has happened yet.</p>}
      {events && events.length > 0 && (
        <Table className="feed" caption="Usage events, newest first" columns={['Time', 'Event', 'Type', 'Cloud', 'User', 'Machine', 'Details']}>
          {events.map((e, i) => (
            <tr key={`${e.at}-${e.event}-${e.machineId ?? e.requestId ?? ''}-${i}`}>
              <td>
                <time dateTime={new Date(e.at).toISOString()}>{timeOfDay(e.at)}</time>
              </td>
              <td>
                <span className={`event event-${e.event}`}>{e.event}</span>
              </td>
              <td>{e.type === '*' ? <span className="muted">all types</span> : e.type}</td>
              <td>{e.cloud}</td>
              <td>{e.user}</td>
              <td>
                <code>{e.machineId}</code>
              </td>
              <td>{details(e)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
