import { useState, type ReactNode } from 'react';
import { toProblem } from '../api/client';
import type { Problem } from '../api/types';
import { ConnectionCard } from '../components/connection-card';
import { ProblemAlert } from '../components/problem';
import { aOrAn, timeOfDay } from '../format';
import { cancelRequest, useFlow, type Flow, type Phase } from '../request-flow';
import { href } from '../router';
import { PageHeading } from './page-heading';

const stages: { phase: Phase; label: string }[] = [
  { phase: 'sending', label: 'Requested' },
  { phase: 'queued', label: 'Queued' },
  { phase: 'launching', label: 'Launching' },
  { phase: 'allocated', label: 'Ready for you' },
];

function headline(flow: Flow): string {
  switch (flow.phase) {
    case 'sending':
      return `Finding ${aOrAn(flow.type)} machine…`;
    case 'queued':
      return flow.position !== undefined ? `Waiting: position ${flow.position} in the queue` : 'Waiting in the queue';
    case 'launching':
      return `${aOrAn(flow.type).replace(/^a/, 'A')} machine is starting up for you…`;
    case 'allocated':
      return `Your ${flow.type} machine is ready`;
    case 'failed':
      return 'The request did not succeed';
    case 'cancelled':
      return 'The request was cancelled';
  }
}

type StageState = 'done' | 'current' | 'todo' | 'skipped';
const stageWords: Record<StageState, string> = { done: ', done', current: ', in progress', todo: '', skipped: ', not needed' };

/** Where each stage stands; a warm hit skips the queue and the launch, and says so. */
function stageState(flow: Flow, phase: Phase): StageState {
  const queued = flow.requestId !== undefined;
  // a queued request is served by a machine that came up while it waited, seen launching or not
  const launched = flow.launched === true || (queued && flow.phase === 'allocated');
  const passed = phase === 'sending' || (phase === 'queued' && queued) || (phase === 'launching' && launched);
  if (flow.phase === 'allocated') return phase === 'allocated' || passed ? 'done' : 'skipped';
  if (phase === flow.phase) return 'current';
  return passed ? 'done' : 'todo';
}

/** One request followed live: the stages, the step log (announced politely), then the connection card. */
export function RequestPage({ flowKey }: { flowKey: string }): ReactNode {
  const flow = useFlow(flowKey);
  const [problem, setProblem] = useState<Problem>();
  if (!flow) {
    return (
      <>
        <PageHeading title="Request" />
        <p>
          This request is not followed in this tab any more. Your machines are listed under <a href={href('/machines')}>My machines</a>.
        </p>
      </>
    );
  }
  const last = flow.steps[flow.steps.length - 1];
  return (
    <>
      <PageHeading title={`Request: ${flow.type}`} />
      <section className="card progress" aria-labelledby="progress-title">
        <h2 id="progress-title" className="headline">
          {headline(flow)}
        </h2>
        <ol className="stages">
          {stages.map((stage) => {
            const state = stageState(flow, stage.phase);
            return (
              <li key={stage.phase} className={`stage ${state}`} data-state={state} aria-current={state === 'current' ? 'step' : undefined}>
                <span className="dot" aria-hidden="true" />
                {stage.label}
                {stage.phase === 'queued' && flow.position !== undefined && flow.phase === 'queued' && ` (position ${flow.position})`}
                {state === 'skipped' ? <span className="small"> (not needed)</span> : <span className="visually-hidden">{stageWords[state]}</span>}
              </li>
            );
          })}
        </ol>
        <ol className="step-log" aria-label="What happened">
          {flow.steps.map((step, i) => (
            <li key={`${step.at}-${i}`}>
              <time className="muted">{timeOfDay(step.at)}</time> {step.text}
            </li>
          ))}
        </ol>
        <p className="visually-hidden" aria-live="polite" role="status">
          {last?.text}
        </p>
        <ProblemAlert problem={flow.problem ?? problem} />
        {(flow.phase === 'queued' || flow.phase === 'launching') && (
          <button type="button" onClick={() => void cancelRequest(flowKey).catch((err: unknown) => setProblem(toProblem(err)))}>
            Cancel request
          </button>
        )}
      </section>
      {flow.machine && (
        <ConnectionCard machine={flow.machine}>
          <p className="muted">
            It is also listed under <a href={href('/machines')}>My machines</a>, where you release it when you are done.
          </p>
        </ConnectionCard>
      )}
    </>
  );
}
