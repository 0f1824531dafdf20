// The Electron shell against a mocked `electron` module (the binary cannot run here). The mocks
// are typed against Electron's real definitions so a changed API fails type-checking.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Electron from 'electron';
import { requestChannels } from '../../../src-shared/contract';
import { ipcRequestChannel } from '../../../src-shared/channels';
import { createCore } from '../../../src-main/core/service';
import type { SampleSource } from '../../../src-main/core/sample-source';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';

type Handler = (event: Electron.IpcMainInvokeEvent, ...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();
const windows: Array<{ options: Electron.BrowserWindowConstructorOptions; webContents: FakeWebContents }> = [];

class FakeWebContents {
  openHandler?: Parameters<Electron.WebContents['setWindowOpenHandler']>[0];
  listeners = new Map<string, (...args: unknown[]) => void>();
  setWindowOpenHandler(handler: Parameters<Electron.WebContents['setWindowOpenHandler']>[0]) {
    this.openHandler = handler;
  }
  on(event: string, listener: (...args: unknown[]) => void) {
    this.listeners.set(event, listener);
    return this;
  }
}

vi.mock('electron', () => {
  const ipcMain: Pick<Electron.IpcMain, 'handle' | 'removeHandler'> = {
    handle: (channel: string, listener: Handler) => {
      handlers.set(channel, listener);
    },
    removeHandler: (channel: string) => {
      handlers.delete(channel);
    },
  };
  class BrowserWindow {
    webContents = new FakeWebContents();
    constructor(options: Electron.BrowserWindowConstructorOptions) {
      windows.push({ options, webContents: this.webContents });
    }
    on() {
      return this;
    }
    once() {
      return this;
    }
    loadURL() {
      return Promise.resolve();
    }
  }
  class Notification {
    static shown: Array<{ title?: string; body?: string }> = [];
    static isSupported() {
      return true;
    }
    constructor(private readonly options: Electron.NotificationConstructorOptions) {}
    show() {
      Notification.shown.push({ title: this.options.title, body: this.options.body });
    }
  }
  return { ipcMain, BrowserWindow, session: {}, Menu: {}, Tray: class {}, nativeImage: {}, Notification };
});

const { registerIpc } = await import('../../../src-main/electron/ipc');
const { createMainWindow, isAppUrl, secureWebPreferences } = await import('../../../src-main/electron/window');
const { trayMenuTemplate, topCpu, trayIconBitmap, restrainedNice, boostedNice } = await import('../../../src-main/electron/tray');
const { createNotifier, createRateLimiter, noticesFromReport } = await import('../../../src-main/electron/notifications');
const electronMock = (await import('electron')) as unknown as { Notification: { shown: Array<{ title?: string; body?: string }> } };

const APP_URL = 'file:///opt/allot/resources/app.asar/out/renderer/index.html';

function fakeSource(): SampleSource {
  return {
    name: 'fake',
    info: async () => ({ platform: 'linux', hostname: 'h', osRelease: 'r', cpuModel: 'c', logicalCores: 2, totalMemoryBytes: 1 }),
    start: async (_interval, onSample) => onSample(fixtureSample()),
    setIntervalMs: () => undefined,
    stop: async () => undefined,
  };
}

function invokeEvent(url: string | null): Electron.IpcMainInvokeEvent {
  return { senderFrame: url === null ? null : ({ url } as Electron.WebFrameMain) } as Electron.IpcMainInvokeEvent;
}

describe('electron shell', () => {
  beforeEach(() => {
    handlers.clear();
    windows.length = 0;
  });

  it('creates the window with secure web preferences and denies popups and foreign navigation', () => {
    createMainWindow({ preloadPath: '/p/preload.cjs', rendererUrl: APP_URL, shouldHideOnClose: () => true });
    const prefs = windows[0]!.options.webPreferences!;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs.preload).toBe('/p/preload.cjs');
    expect(secureWebPreferences('x').nodeIntegrationInWorker).toBe(false);
    const contents = windows[0]!.webContents;
    expect(contents.openHandler?.({ url: 'https://evil.example' } as Electron.HandlerDetails)).toEqual({ action: 'deny' });
    let prevented = false;
    contents.listeners.get('will-navigate')?.({ preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
    prevented = false;
    contents.listeners.get('will-navigate')?.({ preventDefault: () => (prevented = true) }, APP_URL);
    expect(prevented).toBe(false);
  });

  it('recognises only the app URL as trusted', () => {
    expect(isAppUrl(APP_URL, APP_URL)).toBe(true);
    expect(isAppUrl('file:///tmp/evil.html', APP_URL)).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP_URL)).toBe(false);
  });

  it('registers a handler for every request channel in the contract', async () => {
    const core = createCore({ source: fakeSource(), runtime: 'electron', version: '0.0.0' });
    await core.start();
    registerIpc(core, (url) => isAppUrl(url, APP_URL));
    expect([...handlers.keys()].sort()).toEqual(requestChannels.map(ipcRequestChannel).sort());
    for (const channel of requestChannels) {
      // Every handler reaches the core: the answer is the core's (a value, a validation error, or
      // 'not-ready' for services this bare core lacks), never a refusal by the bridge itself.
      const result = (await handlers.get(ipcRequestChannel(channel))!(invokeEvent(APP_URL), {})) as { ok: boolean; error?: { code: string } };
      expect(['invalid-channel', 'forbidden'], channel).not.toContain(result.error?.code);
    }
    for (const channel of ['app.info', 'system.info', 'system.summary', 'processes.snapshot'] as const) {
      expect(((await handlers.get(ipcRequestChannel(channel))!(invokeEvent(APP_URL), {})) as { ok: boolean }).ok, channel).toBe(true);
    }
  });

  it('refuses invalid payloads and untrusted senders', async () => {
    const core = createCore({ source: fakeSource(), runtime: 'electron', version: '0.0.0' });
    await core.start();
    registerIpc(core, (url) => isAppUrl(url, APP_URL));
    const handler = handlers.get(ipcRequestChannel('processes.snapshot'))!;
    expect(await handler(invokeEvent(APP_URL), { unexpected: true })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await handler(invokeEvent(APP_URL), 'text')).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await handler(invokeEvent('https://evil.example/'), {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler(invokeEvent(null), {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('builds the tray menu with show/hide, the top three CPU consumers and quit', () => {
    const processes = [5, 50, 20, 70, 1].map((cpuPercent, i) => fixtureProcess({ pid: 100 + i, name: `p${i}`, cpuPercent, rssBytes: (5 - i) * 1024 ** 2 }));
    expect(topCpu(processes, 3).map((p) => p.pid)).toEqual([103, 101, 102]);
    const calls: string[] = [];
    const menu = trayMenuTemplate({ windowVisible: true, processes }, { toggleWindow: () => calls.push('toggle'), quit: () => calls.push('quit') });
    const labels = menu.map((item) => item.label ?? item.type);
    expect(labels[0]).toBe('Hide Allot');
    const cpuStart = labels.indexOf('Top CPU');
    expect(labels.slice(cpuStart + 1, cpuStart + 4)).toEqual(['p3 (103): 70.0%', 'p1 (101): 50.0%', 'p2 (102): 20.0%']);
    const memStart = labels.indexOf('Top memory');
    expect(labels.slice(memStart + 1, memStart + 4)).toEqual(['p0 (100): 5.0 MiB', 'p1 (101): 4.0 MiB', 'p2 (102): 3.0 MiB']);
    menu.find((item) => item.id === 'toggle')!.click!({} as Electron.MenuItem, undefined, {} as Electron.KeyboardEvent);
    menu.find((item) => item.id === 'quit')!.click!({} as Electron.MenuItem, undefined, {} as Electron.KeyboardEvent);
    expect(calls).toEqual(['toggle', 'quit']);
    expect(trayMenuTemplate({ windowVisible: false, processes: [] }, { toggleWindow() {}, quit() {} })[0]!.label).toBe('Show Allot');
  });

  it('offers engine mode, profile, pause and restrain/boost quick actions', () => {
    const hog = fixtureProcess({ pid: 77, name: 'hog', cpuPercent: 99, nice: 0 });
    const calls: unknown[][] = [];
    const actions = {
      toggleWindow: () => calls.push(['toggle']),
      quit: () => calls.push(['quit']),
      setMode: (mode: string) => calls.push(['mode', mode]),
      setProfile: (id: string) => calls.push(['profile', id]),
      pause: (minutes: number) => calls.push(['pause', minutes]),
      restrain: (p: { pid: number }) => calls.push(['restrain', p.pid]),
      boost: (p: { pid: number }) => calls.push(['boost', p.pid]),
    };
    const engine = { mode: 'advise' as const, effectiveMode: 'advise' as const, pausedUntilMs: null, profileId: 'balanced', profiles: [{ id: 'balanced', name: 'Balanced' }, { id: 'quiet', name: 'Quiet' }] };
    const menu = trayMenuTemplate({ windowVisible: true, processes: [hog], engine }, actions);
    const find = (id: string): Electron.MenuItemConstructorOptions | undefined => {
      const walk = (items: Electron.MenuItemConstructorOptions[]): Electron.MenuItemConstructorOptions | undefined => {
        for (const item of items) {
          if (item.id === id) return item;
          const inner = Array.isArray(item.submenu) ? walk(item.submenu as Electron.MenuItemConstructorOptions[]) : undefined;
          if (inner) return inner;
        }
        return undefined;
      };
      return walk(menu);
    };
    const click = (id: string) => find(id)!.click!({} as Electron.MenuItem, undefined, {} as Electron.KeyboardEvent);
    expect(find('mode')!.label).toBe('Engine: Advise (suggest only)');
    expect(find('mode-advise')!.checked).toBe(true);
    click('mode-auto');
    click('profile-quiet');
    click('pause');
    click('top-0-restrain');
    click('top-0-boost');
    expect(calls).toEqual([['mode', 'auto'], ['profile', 'quiet'], ['pause', 60], ['restrain', 77], ['boost', 77]]);
    const paused = trayMenuTemplate({ windowVisible: true, processes: [], engine: { ...engine, effectiveMode: 'off', pausedUntilMs: 1_000 + 30 * 60_000 }, nowMs: 1_000 }, actions);
    expect(paused.find((item) => item.id === 'mode')!.label).toBe('Engine: Off (paused, 30m 00s left)');
    expect(paused.some((item) => item.id === 'resume')).toBe(true);
    // One line on what the engine does: the core's summary when it sends one, else the restrained count.
    expect(find('engine-summary')).toMatchObject({ label: 'The engine restrains nothing now', enabled: false });
    const busy = trayMenuTemplate({ windowVisible: true, processes: [], engine: { ...engine, restrained: 3 } }, actions);
    expect(busy.find((item) => item.id === 'engine-summary')!.label).toBe('Restraining 3 processes now');
    const summarized = trayMenuTemplate({ windowVisible: true, processes: [], engine: { ...engine, summary: 'In the last hour: restrained 3 programs for 12 min.' } }, actions);
    expect(summarized.find((item) => item.id === 'engine-summary')!.label).toBe('In the last hour: restrained 3 programs for 12 min.');
    expect([restrainedNice(0), restrainedNice(10), restrainedNice(17), boostedNice(10), boostedNice(0)]).toEqual([10, 15, 19, 0, -5]);
  });

  it('draws the tray icon from load and engine state', () => {
    const idle = trayIconBitmap(16, 0, 'auto');
    const busy = trayIconBitmap(16, 100, 'auto');
    const off = trayIconBitmap(16, 100, 'off');
    expect(idle.length).toBe(16 * 16 * 4);
    const opaque = (buffer: Buffer) => buffer.filter((_, i) => i % 4 === 3 && buffer[i] === 255).length;
    expect(opaque(busy)).toBeGreaterThan(opaque(idle));
    expect(off.equals(busy)).toBe(false);
  });

  it('notifies alerts and refusals, rate-limited per subject and overall', () => {
    const allow = createRateLimiter({ perSubjectMs: 1000, windowMs: 10_000, maxPerWindow: 2 });
    expect([allow('a', 0), allow('a', 500), allow('b', 600), allow('c', 700), allow('a', 20_000)]).toEqual([true, false, true, false, true]);
    const target = { pid: 5, startTime: 1, name: 'leaky', programId: '/usr/bin/leaky' };
    const report = {
      at: 1_000,
      alerts: [
        { id: 'a1', at: 1_000, kind: 'memory-leak', severity: 'warning', target, message: 'RSS grows 10 MiB/min', evidence: { slope: 10 } },
        { id: 'a2', at: 1_000, kind: 'outside-profile', severity: 'info', target, message: 'meh', evidence: {} },
      ],
      decisions: [
        { decision: { target }, changes: [{ op: 'priority', kind: 'refused', reason: 'permission', message: 'needs root', changeId: null }] },
        { decision: { target }, changes: [{ op: 'priority', kind: 'refused', reason: 'gone', message: 'exited', changeId: null }] },
      ],
    } as unknown as Parameters<typeof noticesFromReport>[0];
    expect(noticesFromReport(report).map((notice) => notice.title)).toEqual(['Allot: memory leak in leaky (5)', 'Allot could not change leaky']);
    const notifier = createNotifier();
    electronMock.Notification.shown.length = 0;
    expect(notifier.onReport(report, false)).toBe(0);
    expect(notifier.onReport(report, true)).toBe(2);
    expect(notifier.onReport({ ...report, at: 2_000 }, true)).toBe(0);
    expect(electronMock.Notification.shown.map((shown) => shown.body)).toEqual(['RSS grows 10 MiB/min', 'needs root']);
  });
});
