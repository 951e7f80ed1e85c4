import { useState, type FormEvent, type ReactNode } from 'react';
import { api, toProblem } from '../api/client';
import type { Problem, Role, User } from '../api/types';
import { useResource } from '../api/use-resource';
import { ProblemAlert } from '../components/problem';
import { Table } from '../components/table';
import { when } from '../format';
import { PageHeading } from '../pages/page-heading';

function CreateUser({ onCreated }: { onCreated: (name: string) => void }): ReactNode {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('scientist');
  const [problem, setProblem] = useState<Problem>();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setProblem(undefined);
    api<User>('POST', '/users', { name: name.trim(), password, role }).then(
      (user) => {
        setName('');
        setPassword('');
        onCreated(user.name);
      },
      (err: unknown) => setProblem(toProblem(err)),
    );
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-user-title">
      <h2 id="new-user-title">Add a user</h2>
      <div className="fields">
        <div>
          <label htmlFor="new-user-name">User name</label>
          <input id="new-user-name" value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" pattern="[a-z_][a-z0-9_\-]{0,31}" title="lower-case letters, digits, _ and -, starting with a letter or _" />
        </div>
        <div>
          <label htmlFor="new-user-password">Password</label>
          <input id="new-user-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </div>
        <div>
          <label htmlFor="new-user-role">Role</label>
          <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="scientist">scientist</option>
            <option value="admin">admin</option>
          </select>
        </div>
      </div>
      <ProblemAlert problem={problem} />
      <button type="submit" className="primary">
        Add user
      </button>
    </form>
  );
}

/** Local accounts: add, change role, disable (which ends their sessions and tokens) and enable. */
export function UsersPage({ me }: { me: string }): ReactNode {
  const users = useResource(async () => (await api<{ users: User[] }>('GET', '/users')).users);
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState('');
  const change = (user: User, body: { role?: Role; disabled?: boolean }, done: string): void => {
    setProblem(undefined);
    api<User>('PATCH', `/users/${encodeURIComponent(user.name)}`, body).then(
      () => {
        setNotice(done);
        users.reload();
      },
      (err: unknown) => setProblem(toProblem(err)),
    );
  };

  return (
    <>
      <PageHeading title="Users" lead="Disabling a user ends their sessions and revokes their tokens at once." />
      <div className="stack">
        <CreateUser
          onCreated={(name) => {
            setNotice(`${name} added.`);
            users.reload();
          }}
        />
        <section className="card" aria-labelledby="users-title">
          <h2 id="users-title">Accounts</h2>
          <p role="status" aria-live="polite" className="ok-text">
            {notice}
          </p>
          <ProblemAlert problem={problem ?? users.problem} />
          <Table caption="Accounts" columns={['Name', 'Role', 'Status', 'Created', '']}>
            {users.data?.map((u) => (
              <tr key={u.name} data-user={u.name}>
                <th scope="row">{u.name}</th>
                <td>
                  <label className="visually-hidden" htmlFor={`role-${u.name}`}>
                    Role of {u.name}
                  </label>
                  <select
                    id={`role-${u.name}`}
                    value={u.role}
                    disabled={u.name === me}
                    onChange={(e) => change(u, { role: e.target.value as Role }, `${u.name} is now ${e.target.value}.`)}
                  >
                    <option value="scientist">scientist</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>{u.disabled ? <span className="badge bad">disabled</span> : <span className="badge ok">active</span>}</td>
                <td>{when(u.createdAt)}</td>
                <td className="num">
                  {u.name !== me && (
                    <button
                      type="button"
                      className={u.disabled ? '' : 'danger'}
                      onClick={() => change(u, { disabled: !u.disabled }, `${u.name} ${u.disabled ? 'enabled' : 'disabled'}.`)}
                    >
                      {u.disabled ? `Enable ${u.name}` : `Disable ${u.name}`}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </section>
      </div>
    </>
  );
}
