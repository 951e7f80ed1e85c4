import type { ReactNode } from 'react';
import type { Machine } from '../api/types';
import { when } from '../format';
import { CopyButton } from './copy-button';

/**
 * How to log in: the gateway's ready-to-paste `ssh` command (with `-J` through the region's
 * bastion where there is one), a copy button, and the parts of it for other SSH clients.
 */
export function ConnectionCard({ machine, headingLevel = 2, children }: { machine: Machine; headingLevel?: 2 | 3; children?: ReactNode }): ReactNode {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const commandId = `ssh-${machine.id}`;
  const warned = machine.reclaimAt !== undefined || machine.warnedAt !== undefined;
  return (
    <section className={`card connection${warned ? ' warned' : ''}`} aria-labelledby={`${commandId}-title`} data-machine={machine.id}>
      <Heading id={`${commandId}-title`}>
        {machine.type} <span className="muted">· {machine.id}</span>
      </Heading>
      {warned ? (
        <p className="warning" role="status">
          This machine has been idle and will be reclaimed
          {machine.reclaimAt !== undefined ? ` at ${when(machine.reclaimAt)}` : ' soon'}. Log in or run something on it to keep it.
        </p>
      ) : null}
      <label htmlFor={commandId} className="label">
        Connect with
      </label>
      <div className="command-row">
        <input id={commandId} className="command" readOnly value={machine.sshCommand} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <CopyButton text={machine.sshCommand} label="Copy command" />
      </div>
      <dl className="facts">
        <div>
          <dt>Host</dt>
          <dd>
            <code>{machine.connect.host}</code> port <code>{machine.connect.port}</code>
          </dd>
        </div>
        <div>
          <dt>User</dt>
          <dd>
            <code>{machine.connect.user}</code>
          </dd>
        </div>
        {machine.connect.jump && (
          <div>
            <dt>Jump host</dt>
            <dd>
              <code>{machine.connect.jump}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Cloud</dt>
          <dd>
            {machine.cloud} ({machine.region})
          </dd>
        </div>
        <div>
          <dt>Since</dt>
          <dd>{when(machine.allocatedAt)}</dd>
        </div>
      </dl>
      {children}
    </section>
  );
}
