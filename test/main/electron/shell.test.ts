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
  return { ipcMain, BrowserWindow, session: {}, Menu: {}, Tray: class {}, nativeImage: {} };
});

const { registerIpc } = await import('../../../src-main/electron/ipc');
const { createMainWindow, isAppUrl, secureWebPreferences } = await import('../../../src-main/electron/window');
const { trayMenuTemplate, topCpu } = await import('../../../src-main/electron/tray');

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
      const result = (await handlers.get(ipcRequestChannel(channel))!(invokeEvent(APP_URL), {})) as { ok: boolean };
      expect(result.ok, channel).toBe(true);
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
    const processes = [5, 50, 20, 70, 1].map((cpuPercent, i) => fixtureProcess({ pid: 100 + i, name: `p${i}`, cpuPercent }));
    expect(topCpu(processes, 3).map((p) => p.pid)).toEqual([103, 101, 102]);
    const calls: string[] = [];
    const menu = trayMenuTemplate({ windowVisible: true, processes }, { toggleWindow: () => calls.push('toggle'), quit: () => calls.push('quit') });
    const labels = menu.map((item) => item.label ?? item.type);
    expect(labels[0]).toBe('Hide Allot');
    expect(labels.filter((label) => /^p\d \(\d+\)/.test(String(label)))).toEqual(['p3 (103): 70.0%', 'p1 (101): 50.0%', 'p2 (102): 20.0%']);
    menu.find((item) => item.id === 'toggle')!.click!({} as Electron.MenuItem, undefined, {} as Electron.KeyboardEvent);
    menu.find((item) => item.id === 'quit')!.click!({} as Electron.MenuItem, undefined, {} as Electron.KeyboardEvent);
    expect(calls).toEqual(['toggle', 'quit']);
    expect(trayMenuTemplate({ windowVisible: false, processes: [] }, { toggleWindow() {}, quit() {} })[0]!.label).toBe('Show Allot');
  });
});
