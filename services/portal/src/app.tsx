import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, setCsrfToken, setUnauthorizedHandler } from './api/client';
import { EventsProvider, useLiveEvents, type LiveStatus } from './api/events';
import type { LoginReply, Me } from './api/types';
import { CloudsPage } from './admin/clouds';
import { PoolsPage } from './admin/pools';
import { ServicesPage } from './admin/services';
import { UsagePage } from './admin/usage';
import { UsersPage } from './admin/users';
import { CataloguePage } from './pages/catalogue';
import { LoginPage } from './pages/login';
import { MachinesPage } from './pages/machines';
import { RequestPage } from './pages/request';
import { SettingsPage } from './pages/settings';
import { applyMachineEvent } from './request-flow';
import { href, useRoute } from './router';

interface NavItem {
  path: string;
  label: string;
}
const scientistNav: NavItem[] = [
  { path: '/', label: 'Machine types' },
  { path: '/machines', label: 'My machines' },
  { path: '/settings', label: 'Settings' },
];
const adminNav: NavItem[] = [
  { path: '/admin/pools', label: 'Pools' },
  { path: '/admin/clouds', label: 'Clouds' },
  { path: '/admin/users', label: 'Users' },
  { path: '/admin/usage', label: 'Usage' },
  { path: '/admin/services', label: 'Services' },
];

// Set while this browser holds a session. The session cookie is httpOnly, so without this hint
// the first visit would ask GET /me, get 401, and log a failed request in the console.
const signedInKey = 'hearth.signedIn';

const liveText: Record<LiveStatus, string> = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

function Page({ route, me, onMe }: { route: string; me: Me; onMe: (me: Me) => void }): ReactNode {
  const request = /^\/request\/([\w-]+)$/.exec(route);
  if (request?.[1]) return <RequestPage flowKey={request[1]} />;
  if (route === '/machines') return <MachinesPage />;
  if (route === '/settings') return <SettingsPage me={me} onMe={onMe} />;
  if (route.startsWith('/admin/') && me.role !== 'admin') return <p role="alert">This page is for administrators.</p>;
  if (route === '/admin/pools') return <PoolsPage />;
  if (route === '/admin/clouds') return <CloudsPage />;
  if (route === '/admin/users') return <UsersPage me={me.name} />;
  if (route === '/admin/usage') return <UsagePage />;
  if (route === '/admin/services') return <ServicesPage />;
  return <CataloguePage me={me} />;
}

function NavLinks({ items, route, label }: { items: NavItem[]; route: string; label: string }): ReactNode {
  return (
    <ul aria-label={label}>
      {items.map((item) => {
        const active = item.path === '/' ? route === '/' || route.startsWith('/request/') : route === item.path;
        return (
          <li key={item.path}>
            <a href={href(item.path)} aria-current={active ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        );
      })}
    </ul>
  );
}

/** The signed-in frame: skip link, header with navigation and live status, and the page. */
function Shell({ me, onMe, onLogout }: { me: Me; onMe: (me: Me) => void; onLogout: () => void }): ReactNode {
  const route = useRoute();
  const live = useLiveEvents((m) => {
    if (m.topic === 'machine') applyMachineEvent(m.event);
  });
  useEffect(() => {
    // a new page: start keyboard and screen-reader users at its heading
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [route]);
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        document.querySelector<HTMLElement>('main h1')?.focus();
      }}>
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href={href('/')}>
          <span className="brand-mark" aria-hidden="true">◆</span> Hearth
        </a>
        <nav aria-label="Main">
          <NavLinks items={scientistNav} route={route} label="Scientist pages" />
          {me.role === 'admin' && <NavLinks items={adminNav} route={route} label="Admin pages" />}
        </nav>
        <div className="who">
          <span className={`live live-${live}`} title="live updates">
            <span className="dot" aria-hidden="true" /> {liveText[live]}
          </span>
          <span>
            {me.name}
            {me.role === 'admin' && <span className="muted"> (admin)</span>}
          </span>
          <button type="button" className="link" onClick={onLogout}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page route={route} me={me} onMe={onMe} />
      </main>
    </>
  );
}

/** Signed in or not: asks `GET /me` once, then shows the login page or the app. */
export function App(): ReactNode {
  const [me, setMe] = useState<Me | null>();
  const signedOut = useCallback(() => {
    localStorage.removeItem(signedInKey);
    setCsrfToken(undefined);
    setMe(null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(signedOut);
    if (localStorage.getItem(signedInKey) === null) {
      setMe(null);
      return () => setUnauthorizedHandler(undefined);
    }
    api<Me>('GET', '/me').then(
      (who) => {
        if (who.csrfToken) setCsrfToken(who.csrfToken);
        setMe(who);
      },
      () => setMe(null),
    );
    return () => setUnauthorizedHandler(undefined);
  }, [signedOut]);

  const onLogin = (reply: LoginReply): void => {
    localStorage.setItem(signedInKey, '1');
    setCsrfToken(reply.csrfToken);
    setMe(reply.user);
    // the login reply has no key; fetch the full profile for Settings
    void api<Me>('GET', '/me').then((who) => setMe((cur) => ({ ...cur, ...who })), () => undefined);
  };
  const logout = (): void => {
    void api<void>('POST', '/auth/logout').finally(signedOut);
  };

  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null) return <LoginPage onLogin={onLogin} />;
  return (
    <EventsProvider>
      <Shell me={me} onMe={(next) => setMe((cur) => ({ ...cur, ...next }))} onLogout={logout} />
    </EventsProvider>
  );
}
