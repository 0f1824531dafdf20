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
    // Middle-click must not open links in new windows (Electronegativity AUXCLICK_JS_CHECK).
    disableBlinkFeatures: 'Auxclick',
  };
}

export interface MainWindowOptions {
  preloadPath: string;
  /** file:// URL of the built index.html, or the dev server URL. */
  rendererUrl: string;
  iconPath?: string;
  /** Called when the user closes the window: return true to hide to tray instead of closing. */
  shouldHideOnClose: () => boolean;
  /** Saved size/position (window-state.ts restoreWindowBounds); default size when absent. */
  bounds?: { x?: number; y?: number; width: number; height: number; maximized?: boolean };
  /** False to start in the tray (start minimized): the window is created but not shown. */
  show?: boolean;
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
  // No WebHID / WebSerial / WebUSB devices, no screen capture either.
  session.defaultSession.setDevicePermissionHandler(() => false);
  session.defaultSession.setDisplayMediaRequestHandler((_request, callback) => callback({}));
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { maximized, ...bounds } = options.bounds ?? { width: 1200, height: 780 };
  const window = new BrowserWindow({
    ...bounds,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Allot',
    backgroundColor: '#16181d',
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    // The security-relevant preferences are spelled out here (not only in secureWebPreferences) so
    // static checks (npm run lint:security, Electronegativity) can see them at the constructor.
    webPreferences: {
      ...secureWebPreferences(options.preloadPath),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    },
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
  if (maximized) window.maximize();
  if (options.show !== false) window.once('ready-to-show', () => window.show());
  void window.loadURL(options.rendererUrl);
  return window;
}
