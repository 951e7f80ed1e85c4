import type { ReactNode } from 'react';
import type { Problem } from '../api/types';

/** Shows a problem document: what failed, why, the field paths at fault, and the request id for the logs. */
export function ProblemAlert({ problem, onDismiss }: { problem: Problem | undefined; onDismiss?: () => void }): ReactNode {
  if (!problem) return null;
  return (
    <div className="problem" role="alert">
      <p className="problem-title">
        <strong>{problem.detail ?? problem.title}</strong>
        {problem.status > 0 && <span className="muted"> ({problem.status} {problem.title})</span>}
      </p>
      {problem.issues && problem.issues.length > 0 && (
        <ul>
          {problem.issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path || '(body)'}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
      {problem.requestId && <p className="muted small">request id {problem.requestId}</p>}
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
