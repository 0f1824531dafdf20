import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { resolveTheme } from './components/theme';
import './styles/app.css';

// The first paint already follows the OS; App takes over once settings arrive.
document.documentElement.dataset['theme'] = resolveTheme(undefined, window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
