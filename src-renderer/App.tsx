import { useEffect } from 'react';
import { useStore } from './store';
import { ProcessesView } from './views/ProcessesView';

export function App() {
  const connect = useStore((state) => state.connect);
  const connection = useStore((state) => state.connection);
  const appInfo = useStore((state) => state.appInfo);
  const systemInfo = useStore((state) => state.systemInfo);
  useEffect(() => connect(), [connect]);
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Allot</div>
        <button type="button" className="nav-item active" aria-current="page">
          Processes
        </button>
        <div className="sidebar-footer">
          <span className={`dot ${connection}`} aria-hidden="true" />
          <span>{connection === 'open' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Disconnected'}</span>
          {systemInfo && <div className="host">{systemInfo.hostname}</div>}
          {appInfo && <div className="host">v{appInfo.version} · {appInfo.collector}</div>}
        </div>
      </nav>
      <main className="content">
        <ProcessesView />
      </main>
    </div>
  );
}
