// App shell: data-driven sidebar navigation, connection state, the active view, dialogs and toasts.
// Global keys: Ctrl/Cmd+F focuses the process search.
import { useEffect } from 'react';
import { useStore, type AppState } from './store';
import { NAV_ITEMS } from './views/nav';
import { SEARCH_INPUT_ID } from './views/ProcessesView';
import { ConnectedOverrideDialog } from './components/OverrideDialog';
import { ConfirmEndDialog } from './components/ConfirmEndDialog';
import { Toasts } from './components/Toasts';
import { useDarkMode } from './components/theme';

/** Data on screen that is no longer live: a last sample, and no open connection. */
const isStale = (state: AppState): boolean => state.connection !== 'open' && state.sampleAt !== undefined;

/** The time of the last sample, in the connection-lost banner (only this re-renders with it). */
function StaleSince() {
  const sampleAt = useStore((state) => state.sampleAt);
  if (sampleAt === undefined) return null;
  return (
    <time dateTime={new Date(sampleAt).toISOString()} data-testid="stale-since">
      {new Date(sampleAt).toLocaleTimeString()}
    </time>
  );
}

export function App() {
  const connect = useStore((state) => state.connect);
  const connection = useStore((state) => state.connection);
  const appInfo = useStore((state) => state.appInfo);
  const systemInfo = useStore((state) => state.systemInfo);
  const view = useStore((state) => state.view);
  const setView = useStore((state) => state.setView);
  const theme = useStore((state) => state.settings?.theme);
  const historyStatus = useStore((state) => state.tickStatus?.history);
  // A boolean, not the sample time: selecting sampleAt here re-rendered the shell and the active
  // view on every tick. The banner below reads the time itself.
  const stale = useStore(isStale);
  const role = useStore((state) => state.role);
  const dark = useDarkMode(theme);
  useEffect(() => connect(), [connect]);

  // One place decides the theme (the setting, else the OS, live); the stylesheet only reads data-theme.
  useEffect(() => {
    document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
  }, [dark]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'f') {
        event.preventDefault();
        if (useStore.getState().view !== 'processes') useStore.getState().setView('processes');
        requestAnimationFrame(() => {
          const input = document.getElementById(SEARCH_INPUT_ID) as HTMLInputElement | null;
          input?.focus();
          input?.select();
        });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const active = NAV_ITEMS.find((item) => item.id === view) ?? NAV_ITEMS[0]!;
  const connectionText =
    connection === 'open' ? 'Live' : connection === 'connecting' ? 'Connecting…' : connection === 'rejected' ? 'Token not accepted' : 'Disconnected';
  // Data on screen that is no longer live: say so over it, dim it, and keep its times at the last sample.
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Allot</div>
        {NAV_ITEMS.map((item) => (
          <button
            key={item.id}
            type="button"
            className={`nav-item${item.id === active.id ? ' active' : ''}`}
            aria-current={item.id === active.id ? 'page' : undefined}
            data-view={item.id}
            onClick={() => setView(item.id)}
          >
            <span className="nav-icon" aria-hidden="true">
              {item.icon}
            </span>
            {item.label}
          </button>
        ))}
        <div className="sidebar-footer" role="status" aria-label="Connection">
          {role === 'viewer' && (
            <div className="badge read-only" data-testid="read-only-badge" title="Opened with the viewer URL: everything can be seen, nothing changed. Acting needs the operator URL that `allot serve` printed.">
              Read-only
            </div>
          )}
          <span className={`dot ${connection}`} aria-hidden="true" />
          <span data-testid="connection-state">{connectionText}</span>
          {systemInfo && <div className="host">{systemInfo.hostname}</div>}
          {appInfo && (
            <div className="host">
              v{appInfo.version} · {appInfo.collector}
            </div>
          )}
        </div>
      </nav>
      <main className={`content${stale || connection === 'rejected' ? ' stale' : ''}`} aria-label={active.label} data-stale={stale ? 'true' : undefined}>
        {connection === 'rejected' ? (
          <div className="banner error" role="alert" data-testid="connection-banner">
            <strong>This address&apos;s token is no longer accepted.</strong> Open the new URL that <code>allot serve</code> printed (its tokens were replaced,
            e.g. with <code>--new-tokens</code>). This page will not reconnect by itself.
          </div>
        ) : (
          stale && (
            <div className="banner error" role="alert" data-testid="connection-banner">
              <strong>Connection to Allot lost{connection === 'connecting' ? '; reconnecting…' : '.'}</strong> What you see is from{' '}
              <StaleSince />{' '}
              and is not updating.
            </div>
          )
        )}
        {historyStatus?.state === 'paused' && (
          <p className="banner warning" role="alert" data-testid="history-paused">
            History recording is paused: {historyStatus.message ?? 'the store cannot write'}. Live views keep working; nothing is recorded until it resumes.
          </p>
        )}
        {active.render({ dark })}
      </main>
      <ConnectedOverrideDialog />
      <ConfirmEndDialog />
      <Toasts />
    </div>
  );
}
