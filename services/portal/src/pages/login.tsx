import { useState, type FormEvent, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import type { LoginReply, Problem } from '../api/types';
import { ProblemAlert } from '../components/problem';

/** Sign in with a local account; the gateway sets the session cookie and hands out the CSRF token. */
export function LoginPage({ onLogin }: { onLogin: (reply: LoginReply) => void }): ReactNode {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    api<LoginReply>('POST', '/auth/login', { user, password }).then(
      (reply) => onLogin(reply),
      (err: unknown) => {
        setProblem(toProblem(err));
        setBusy(false);
      },
    );
  };

  return (
    <main id="main" className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark">◆</span> Hearth
        </p>
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Analysis machines, ready when you are.</p>
        <ProblemAlert problem={problem} />
        <label htmlFor="login-user">User name</label>
        <input id="login-user" name="user" autoComplete="username" required value={user} onChange={(e) => setUser(e.target.value)} autoFocus />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
