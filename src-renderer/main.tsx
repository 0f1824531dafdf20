import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { resolveTheme } from './components/theme';
import { client } from './ipc/client';
import './styles/app.css';

// The first paint already follows the OS; App takes over once settings arrive.
document.documentElement.dataset['theme'] = resolveTheme(undefined, window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false);

// The transport now, while the page's scripts run: over Electron IPC the first complete tick comes
// right after the page has loaded, and must find its listener.
client();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
