// Desktop integration against a mocked `electron` typed against the real definitions: start at login
// (login item on Windows/macOS, XDG autostart file on Linux), start minimized, theme, tray icon per
// panel colour, window bounds persisted and clamped to the displays, and single instance (a second
// launch focuses the first) through the real composition root with its collaborators faked.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Electron from 'electron';
import { DEFAULT_SETTINGS } from '../../../src-shared/settings';

type Listener = (...args: unknown[]) => void;
const state = vi.hoisted(() => ({
  loginItems: [] as unknown[],
  themeSource: 'system' as string,
  dark: false,
  themeListeners: [] as Array<() => void>,
  displays: [] as Array<{ workArea: { x: number; y: number; width: number; height: number } }>,
  appListeners: new Map<string, Listener>(),
  singleInstanceLock: true,
  quitCalls: 0,
  windows: [] as unknown[],
  isPackaged: true,
}));

vi.mock('electron', () => {
  const app: Pick<Electron.App, 'setLoginItemSettings' | 'getPath' | 'requestSingleInstanceLock' | 'quit' | 'getVersion' | 'getAppPath' | 'whenReady'> & {
    isPackaged: boolean;
    on(event: string, listener: Listener): unknown;
  } = {
    get isPackaged() {
      return state.isPackaged;
    },
    setLoginItemSettings: (settings: Electron.Settings) => {
      state.loginItems.push(settings);
    },
    getPath: () => join(tmpdir(), 'allot-userdata-unused'),
    requestSingleInstanceLock: () => state.singleInstanceLock,
    quit: () => {
      state.quitCalls++;
    },
    getVersion: () => '0.0.0-test',
    getAppPath: () => '/opt/Allot/resources/app.asar',
    whenReady: () => Promise.resolve(),
    on: (event: string, listener: Listener) => {
      state.appListeners.set(event, listener);
      return app;
    },
  };
  const nativeTheme: Pick<Electron.NativeTheme, 'shouldUseDarkColors'> & { themeSource: Electron.NativeTheme['themeSource']; on(e: 'updated', l: () => void): unknown; removeListener(e: 'updated', l: () => void): unknown } = {
    get themeSource() {
      return state.themeSource as Electron.NativeTheme['themeSource'];
    },
    set themeSource(value) {
      state.themeSource = value;
    },
    get shouldUseDarkColors() {
      return state.dark;
    },
    on: (_event, listener) => {
      state.themeListeners.push(listener);
      return nativeTheme;
    },
    removeListener: (_event, listener) => {
      state.themeListeners = state.themeListeners.filter((l) => l !== listener);
      return nativeTheme;
    },
  };
  const screen: Pick<Electron.Screen, 'getAllDisplays' | 'getPrimaryDisplay'> = {
    getAllDisplays: () => state.displays as Electron.Display[],
    getPrimaryDisplay: () => state.displays[0] as Electron.Display,
  };
  class BrowserWindow {
    listeners = new Map<string, Listener>();
    shown = 0;
    focused = 0;
    restored = 0;
    minimized = true;
    webContents = { setWindowOpenHandler: () => undefined, on: () => undefined };
    constructor(public options: Electron.BrowserWindowConstructorOptions) {
      state.windows.push(this);
    }
    on(event: string, listener: Listener) {
      this.listeners.set(event, listener);
      return this;
    }
    once(event: string, listener: Listener) {
      return this.on(event, listener);
    }
    loadURL() {
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return this.minimized;
    }
    restore() {
      this.restored++;
      this.minimized = false;
    }
    show() {
      this.shown++;
    }
    focus() {
      this.focused++;
    }
    isVisible() {
      return this.shown > 0;
    }
    maximize() {}
    getNormalBounds() {
      return { x: 10, y: 20, width: 900, height: 700 };
    }
    isMaximized() {
      return false;
    }
  }
  const session = { defaultSession: { webRequest: { onHeadersReceived: () => undefined }, setPermissionRequestHandler: () => undefined, setPermissionCheckHandler: () => undefined, setDevicePermissionHandler: () => undefined, setDisplayMediaRequestHandler: () => undefined } };
  return { app, nativeTheme, screen, BrowserWindow, session, ipcMain: { handle: () => undefined, removeHandler: () => undefined }, Menu: { buildFromTemplate: () => ({}) }, Tray: class { setToolTip() {} on() {} setContextMenu() {} setImage() {} destroy() {} }, nativeImage: { createFromPath: () => ({}), createFromBitmap: () => ({ resize: () => ({}) }) } };
});

const desktop = await import('../../../src-main/electron/desktop');
const windowState = await import('../../../src-main/electron/window-state');

const linuxEnv = (configHome: string, isPackaged = true) => ({ platform: 'linux' as const, executable: '/home/me/Apps/Allot 1.0.AppImage', configHome, isPackaged });

describe('start at login and theme', () => {
  beforeEach(() => {
    state.loginItems.length = 0;
    state.themeSource = 'system';
  });

  it('is off by default and follows the OS theme by default', () => {
    expect(DEFAULT_SETTINGS.startAtLogin).toBe(false);
    const result = desktop.applyDesktopSettings(DEFAULT_SETTINGS, { platform: 'win32', executable: 'C:\\Allot\\Allot.exe', configHome: '', isPackaged: true });
    expect(state.loginItems).toEqual([{ openAtLogin: false, args: [], path: 'C:\\Allot\\Allot.exe' }]);
    expect(result.loginItem).toEqual({ kind: 'applied', openAtLogin: false, via: 'login-item' });
    expect(state.themeSource).toBe('system');
  });

  it('Windows/macOS: registers a login item, with --hidden when starting minimized', () => {
    desktop.applyDesktopSettings({ theme: 'dark', startAtLogin: true, startMinimized: true }, { platform: 'darwin', executable: '/Applications/Allot.app', configHome: '', isPackaged: true });
    expect(state.loginItems).toEqual([{ openAtLogin: true, args: ['--hidden'] }]);
    expect(state.themeSource).toBe('dark');
  });

  it('Linux: writes an XDG autostart entry with a quoted Exec line, and removes it when turned off', () => {
    const configHome = mkdtempSync(join(tmpdir(), 'allot-xdg-'));
    const on = desktop.applyLoginItem({ theme: 'system', startAtLogin: true, startMinimized: true }, linuxEnv(configHome));
    const path = join(configHome, 'autostart', 'dev.allot.app.desktop');
    expect(on).toEqual({ kind: 'applied', openAtLogin: true, via: 'xdg-autostart', path });
    const entry = readFileSync(path, 'utf8');
    expect(entry).toContain('[Desktop Entry]');
    expect(entry).toContain('Exec="/home/me/Apps/Allot 1.0.AppImage" --hidden');
    expect(state.loginItems).toEqual([]);
    desktop.applyLoginItem({ theme: 'system', startAtLogin: false, startMinimized: true }, linuxEnv(configHome));
    expect(existsSync(path)).toBe(false);
  });

  it('refuses to register a development build, and reports a failure instead of throwing', () => {
    const configHome = mkdtempSync(join(tmpdir(), 'allot-xdg-'));
    expect(desktop.applyLoginItem({ theme: 'system', startAtLogin: true, startMinimized: false }, linuxEnv(configHome, false)).kind).toBe('unsupported');
    expect(existsSync(join(configHome, 'autostart'))).toBe(false);
    writeFileSync(join(configHome, 'autostart'), 'a file where the directory should be');
    expect(desktop.applyLoginItem({ theme: 'system', startAtLogin: true, startMinimized: false }, linuxEnv(configHome)).kind).toBe('failed');
  });

  it('starts hidden for --hidden or the startMinimized setting', () => {
    expect(desktop.shouldStartHidden(undefined, ['allot'])).toBe(false);
    expect(desktop.shouldStartHidden(undefined, ['allot', '--hidden'])).toBe(true);
    expect(desktop.shouldStartHidden({ startMinimized: true }, ['allot'])).toBe(true);
    expect(desktop.shouldStartHidden({ startMinimized: false }, ['allot'])).toBe(false);
  });

  it('picks the tray icon for the panel: template on macOS, light glyph on dark panels, dark on light', () => {
    expect(desktop.trayIconPath('/a', 'darwin', true)).toBe('/a/trayTemplate.png');
    expect(desktop.trayIconPath('/a', 'linux', true)).toBe('/a/tray-light.png');
    expect(desktop.trayIconPath('/a', 'win32', false)).toBe('/a/tray-dark.png');
    for (const name of ['trayTemplate.png', 'tray-light.png', 'tray-dark.png']) expect(existsSync(join(import.meta.dirname, '../../../assets', name))).toBe(true);
    const seen: boolean[] = [];
    const off = desktop.onThemeChange((dark) => seen.push(dark));
    state.dark = true;
    for (const l of state.themeListeners) l();
    off();
    expect(seen).toEqual([true]);
    expect(state.themeListeners).toEqual([]);
    state.dark = false;
  });
});

describe('window bounds', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const right = { x: 1920, y: 0, width: 2560, height: 1400 };
  const file = () => join(mkdtempSync(join(tmpdir(), 'allot-ws-')), 'window-state.json');

  beforeEach(() => {
    state.displays = [{ workArea: primary }, { workArea: right }];
  });

  it('defaults when there is no file or a bad one', () => {
    const path = file();
    expect(windowState.restoreWindowBounds(path)).toEqual({ width: 1200, height: 780, maximized: false });
    for (const bad of ['not json', '{"x":1}', '{"x":0,"y":0,"width":-5,"height":10,"maximized":false}', '{"x":0,"y":0,"width":800,"height":600,"maximized":"yes"}', '{"x":1e9,"y":0,"width":800,"height":600,"maximized":false}']) {
      writeFileSync(path, bad);
      expect(windowState.restoreWindowBounds(path), bad).toEqual({ width: 1200, height: 780, maximized: false });
    }
  });

  it('saves and restores size, position and maximized state on a second display', () => {
    const path = file();
    expect(windowState.saveWindowState(path, { x: 2000, y: 100, width: 1000, height: 800, maximized: true })).toBe(true);
    expect(windowState.restoreWindowBounds(path)).toEqual({ x: 2000, y: 100, width: 1000, height: 800, maximized: true });
  });

  it('brings a window from an unplugged display back, centered on the primary, and shrinks it to fit', () => {
    const path = file();
    windowState.saveWindowState(path, { x: 5000, y: 100, width: 3000, height: 2000, maximized: false });
    state.displays = [{ workArea: primary }];
    expect(windowState.restoreWindowBounds(path)).toEqual({ x: 0, y: 0, width: 1920, height: 1040, maximized: false });
    windowState.saveWindowState(path, { x: -3000, y: -3000, width: 800, height: 600, maximized: false });
    expect(windowState.restoreWindowBounds(path)).toEqual({ x: 560, y: 220, width: 800, height: 600, maximized: false });
  });

  it('pulls a window that hangs off the edge back inside the display it is on', () => {
    expect(windowState.clampToDisplays({ x: 1800, y: 900, width: 800, height: 600, maximized: false }, [primary], primary)).toEqual({ x: 1120, y: 440, width: 800, height: 600, maximized: false });
  });

  it('tracks moves, resizes and close into the file (normal bounds, not minimized)', () => {
    const path = file();
    const listeners = new Map<string, Listener>();
    const fake = {
      on: (event: string, listener: Listener) => {
        listeners.set(event, listener);
        return fake;
      },
      getNormalBounds: () => ({ x: 30, y: 40, width: 1000, height: 700 }),
      isMaximized: () => false,
      isDestroyed: () => false,
      isMinimized: () => false,
    };
    windowState.trackWindowBounds(fake as unknown as Electron.BrowserWindow, path);
    expect([...listeners.keys()].sort()).toEqual(['close', 'maximize', 'move', 'resize', 'unmaximize']);
    listeners.get('close')!();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ x: 30, y: 40, width: 1000, height: 700, maximized: false });
  });
});

describe('single instance (composition root)', () => {
  it('a second launch quits itself, and the first instance restores, shows and focuses its window', async () => {
    // A core host answering like the real one before any settings were saved.
    const fakeCore = {
      on: () => () => undefined,
      ready: Promise.resolve({ adminSocketPath: null }),
      stop: () => Promise.resolve(),
      handle: async (channel: string) =>
        channel === 'settings.get'
          ? { ok: true, value: { theme: 'system', startAtLogin: false, startMinimized: false, notifications: { enabled: true } } }
          : { ok: false, error: { code: 'not-ready', message: 'fake' } },
    };
    vi.doMock('../../../src-main/core/host', () => ({ startCoreHost: () => fakeCore }));
    vi.doMock('../../../src-main/electron/ipc', () => ({ registerIpc: () => undefined, forwardEvents: () => undefined }));
    state.displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }];

    // Second instance: no lock -> quits before doing anything else.
    state.singleInstanceLock = false;
    state.quitCalls = 0;
    vi.resetModules();
    await import('../../../src-main/main');
    expect(state.quitCalls).toBe(1);
    expect(state.appListeners.has('second-instance')).toBe(false);

    // First instance: holds the lock, creates its window; a 'second-instance' event focuses it.
    state.singleInstanceLock = true;
    state.quitCalls = 0;
    state.windows.length = 0;
    vi.resetModules();
    await import('../../../src-main/main');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.quitCalls).toBe(0);
    const window = state.windows[0] as { shown: number; focused: number; restored: number };
    expect(window).toBeDefined();
    state.appListeners.get('second-instance')!();
    expect(window.restored).toBe(1);
    expect(window.shown).toBeGreaterThanOrEqual(1);
    expect(window.focused).toBe(1);
  });
});
