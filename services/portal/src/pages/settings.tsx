import { useState, type FormEvent, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import type { ApiToken, Me, NewApiToken, Problem } from '../api/types';
import { useResource } from '../api/use-resource';
import { CopyButton } from '../components/copy-button';
import { ProblemAlert } from '../components/problem';
import { Table } from '../components/table';
import { when } from '../format';
import { PageHeading } from './page-heading';

function SshKeyForm({ me, onSaved }: { me: Me; onSaved: (me: Me) => void }): ReactNode {
  const [key, setKey] = useState(me.sshPublicKey ?? '');
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setProblem(undefined);
    setSaved('');
    api<Me>('PUT', '/me/ssh-key', { sshPublicKey: key.trim() }).then(
      (next) => {
        onSaved(next);
        setSaved('Key saved. New machines will accept it.');
      },
      (err: unknown) => setProblem(toProblem(err)),
    );
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="ssh-key-title">
      <h2 id="ssh-key-title">SSH public key</h2>
      <p className="muted">
        Machines are set up for this key. Paste one line from <code>~/.ssh/id_ed25519.pub</code> (or another <code>.pub</code> file).
      </p>
      <label htmlFor="ssh-key">Public key</label>
      <textarea id="ssh-key" rows={3} spellCheck={false} value={key} onChange={(e) => setKey(e.target.value)} placeholder="ssh-ed25519 AAAA… you@laptop" required />
      <ProblemAlert problem={problem} />
      <div className="actions">
        <button type="submit" className="primary">
          Save key
        </button>
        <span role="status" aria-live="polite" className="ok-text">
          {saved}
        </span>
      </div>
    </form>
  );
}

function Tokens(): ReactNode {
  const tokens = useResource(async () => (await api<{ tokens: ApiToken[] }>('GET', '/me/tokens')).tokens);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewApiToken>();
  const [problem, setProblem] = useState<Problem>();
  const create = (e: FormEvent): void => {
    e.preventDefault();
    setProblem(undefined);
    api<NewApiToken>('POST', '/me/tokens', { name: name.trim() }).then(
      (token) => {
        setCreated(token);
        setName('');
        tokens.reload();
      },
      (err: unknown) => setProblem(toProblem(err)),
    );
  };
  const revoke = (token: ApiToken): void => {
    setProblem(undefined);
    api<void>('DELETE', `/me/tokens/${encodeURIComponent(token.id)}`).then(
      () => {
        if (created?.id === token.id) setCreated(undefined);
        tokens.reload();
      },
      (err: unknown) => setProblem(toProblem(err)),
    );
  };
  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Personal API tokens</h2>
      <p className="muted">
        For the <code>hearth</code> CLI and scripts: <code>Authorization: Bearer hth_…</code>. A token is shown once, when it is made.
      </p>
      <form className="inline-form" onSubmit={create}>
        <label htmlFor="token-name">Token name</label>
        <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop CLI" required maxLength={64} />
        <button type="submit">Create token</button>
      </form>
      {created && (
        <div className="secret" role="status">
          <p>
            <strong>Copy the token “{created.name}” now.</strong> It is not shown again.
          </p>
          <div className="command-row">
            <input className="command" readOnly value={created.token} aria-label={`New token ${created.name}`} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <button type="button" className="link" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      )}
      <ProblemAlert problem={problem ?? tokens.problem} />
      {tokens.data && tokens.data.length === 0 && <p className="muted">No tokens yet.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <Table caption="Your tokens" columns={['Name', 'Created', 'Last used', 'Expires', '']}>
          {tokens.data.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{when(t.createdAt)}</td>
              <td>{t.lastUsedAt !== undefined ? when(t.lastUsedAt) : 'never'}</td>
              <td>{t.expired ? <strong className="bad-text">expired {when(t.expiresAt)}</strong> : t.expiresAt !== undefined ? when(t.expiresAt) : 'never'}</td>
              <td className="num">
                <button type="button" className="danger" onClick={() => revoke(t)} aria-label={`Revoke token ${t.name}`}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

/** The caller's SSH key and API tokens. */
export function SettingsPage({ me, onMe }: { me: Me; onMe: (me: Me) => void }): ReactNode {
  return (
    <>
      <PageHeading title="Settings" lead={`Signed in as ${me.name} (${me.role}).`} />
      <div className="stack">
        <SshKeyForm me={me} onSaved={onMe} />
        <Tokens />
      </div>
    </>
  );
}
