// The one BrowserWindow: isolated, sandboxed, no Node in the renderer, no popups, no navigation.
import { BrowserWindow, session, type WebPreferences } from 'electron';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export interface MainWindowOptions {
  preloadPath: string;
  /** file:// URL of the built index.html, or the dev server URL. */
  rendererUrl: string;
  iconPath?: string;
  /** Called when the user closes the window: return true to hide to tray instead of closing. */
  shouldHideOnClose: () => boolean;
}

/** Whether `url` is the app's own renderer (same origin and path as the one we loaded). */
export function isAppUrl(url: string, rendererUrl: string): boolean {
  try {
    const candidate = new URL(url);
    const app = new URL(rendererUrl);
    if (app.protocol === 'file:') return candidate.protocol === 'file:' && candidate.pathname === app.pathname;
    return candidate.origin === app.origin;
  } catch {
    return false;
  }
}

export function installSessionPolicy(): void {
  // Everything this app loads is its own; add the CSP header too (the page also has it in a meta tag).
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  // No camera, microphone, notifications-permission prompts, geolocation...: the renderer needs none.
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 780,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Allot',
    backgroundColor: '#16181d',
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, options.rendererUrl)) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.on('close', (event) => {
    if (options.shouldHideOnClose()) {
      event.preventDefault();
      window.hide();
    }
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(options.rendererUrl);
  return window;
}
