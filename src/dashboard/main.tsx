/**
 * The Stator dashboard: a single page (hash routes), talking to the API of the server that
 * serves it and following its event stream. Asks for the API token when the server wants one.
 */
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, getToken, onUnauthorized, setToken } from './lib/api.ts';
import { live, useConnectionState } from './lib/live.ts';
import { href, useRoute } from './lib/router.ts';
import { Overview } from './pages/overview.tsx';
import { Executions } from './pages/executions.tsx';
import { ExecutionDetail } from './pages/execution-detail.tsx';
import { Sessions } from './pages/sessions.tsx';
import { Triggers } from './pages/triggers.tsx';
import { Machines } from './pages/machines.tsx';
import { ApiReference } from './pages/api-reference.tsx';

type AuthState = 'checking' | 'ok' | 'login';

function Login(props: { onDone: () => void; failed: boolean }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(
    props.failed ? 'The server refused that token.' : undefined,
  );
  return (
    <main class="login">
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setToken(value.trim());
          try {
            await getJson('/api/workflows?limit=1');
            live.restart();
            props.onDone();
          } catch (err) {
            setToken(null);
            setError(
              err instanceof ApiError && err.status === 401
                ? 'The server refused that token.'
                : String(err),
            );
          }
        }}
      >
        <h1>Stator</h1>
        <p>This server needs its API token (STATOR_API_TOKEN). It is kept in this tab only.</p>
        <input
          type="password"
          name="token"
          autocomplete="current-password"
          placeholder="API token"
          data-testid="login-token"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit" class="primary" data-testid="login-submit">
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

const NAV: [string, string][] = [
  ['', 'Overview'],
  ['executions', 'Executions'],
  ['sessions', 'Sessions'],
  ['triggers', 'Triggers'],
  ['machines', 'Machines'],
  ['api', 'API'],
];

function Page() {
  const route = useRoute();
  const [first, second] = route.parts;
  switch (first) {
    case 'executions':
      return second ? <ExecutionDetail id={second} /> : <Executions query={route.query} />;
    case 'sessions':
      return <Sessions selected={second} />;
    case 'triggers':
      return <Triggers />;
    case 'machines':
      return <Machines name={second} actor={route.query.get('actor') ?? undefined} />;
    case 'api':
      return <ApiReference />;
    default:
      return <Overview />;
  }
}

function Shell(props: { onLogout: () => void }) {
  const route = useRoute();
  const conn = useConnectionState();
  const current = route.parts[0] ?? '';
  return (
    <>
      <nav class="top">
        <a class="brand" href="#/">
          Stator
        </a>
        {NAV.map(([path, label]) => (
          <a
            key={path}
            href={href(...(path ? [path] : []))}
            class={current === path ? 'current' : ''}
            data-testid={`nav-${path || 'overview'}`}
          >
            {label}
          </a>
        ))}
        <span class="spacer" />
        <span class={`conn conn-${conn}`} data-testid="connection" title="event stream">
          {conn}
        </span>
        <button type="button" onClick={props.onLogout}>
          Sign out
        </button>
      </nav>
      <main class="page">
        <Page />
      </main>
    </>
  );
}

function App() {
  const [auth, setAuth] = useState<AuthState>('checking');
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    getJson('/api/workflows?limit=1').then(
      () => setAuth('ok'),
      (err: unknown) => setAuth(err instanceof ApiError && err.status === 401 ? 'login' : 'ok'),
    );
    return onUnauthorized(() => {
      live.stop();
      setFailed(getToken() !== null);
      setToken(null);
      setAuth('login');
    });
  }, []);
  if (auth === 'checking') return <p class="boot">Connecting…</p>;
  if (auth === 'login') return <Login failed={failed} onDone={() => setAuth('ok')} />;
  return (
    <Shell
      onLogout={() => {
        live.stop();
        setToken(null);
        setFailed(false);
        setAuth('login');
      }}
    />
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
