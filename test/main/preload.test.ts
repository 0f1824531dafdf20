// The preload with a mocked `electron`: it exposes exactly invoke/subscribe, forwards only
// contract channels, and never hands the renderer ipcRenderer itself.
import { describe, expect, it, vi } from 'vitest';
import type * as Electron from 'electron';
import { ipcEventChannel, ipcRequestChannel } from '../../src-shared/channels';

const exposed = new Map<string, unknown>();
const invoked: Array<[string, unknown]> = [];
const subscribed = new Map<string, (event: Electron.IpcRendererEvent, payload: unknown) => void>();

vi.mock('electron', () => {
  const contextBridge: Pick<Electron.ContextBridge, 'exposeInMainWorld'> = {
    exposeInMainWorld: (key: string, api: unknown) => {
      exposed.set(key, api);
    },
  };
  const ipcRenderer: Pick<Electron.IpcRenderer, 'invoke' | 'on' | 'removeListener'> = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invoked.push([channel, args[0]]);
      return { ok: true, value: 'answer' };
    },
    on(channel: string, listener: (event: Electron.IpcRendererEvent, ...args: unknown[]) => void) {
      subscribed.set(channel, listener);
      return this as Electron.IpcRenderer;
    },
    removeListener(channel: string) {
      subscribed.delete(channel);
      return this as Electron.IpcRenderer;
    },
  };
  return { contextBridge, ipcRenderer };
});

await import('../../src-main/preload');

describe('preload', () => {
  it('exposes only invoke and subscribe as window.allot', () => {
    expect([...exposed.keys()]).toEqual(['allot']);
    expect(Object.keys(exposed.get('allot') as object).sort()).toEqual(['invoke', 'subscribe']);
  });

  it('forwards contract requests and refuses other channels without touching IPC', async () => {
    const bridge = exposed.get('allot') as { invoke(c: string, p: unknown): Promise<unknown> };
    expect(await bridge.invoke('app.info', {})).toEqual({ ok: true, value: 'answer' });
    expect(invoked).toEqual([[ipcRequestChannel('app.info'), {}]]);
    expect(await bridge.invoke('shell.exec', { cmd: 'rm -rf /' })).toMatchObject({ ok: false, error: { code: 'invalid-channel' } });
    expect(invoked).toHaveLength(1);
  });

  it('subscribes to contract events only and unsubscribes', () => {
    const bridge = exposed.get('allot') as { subscribe(e: string, cb: (p: unknown) => void): () => void };
    const got: unknown[] = [];
    const off = bridge.subscribe('tick', (payload) => got.push(payload));
    subscribed.get(ipcEventChannel('tick'))!({} as Electron.IpcRendererEvent, { seq: 1 });
    expect(got).toEqual([{ seq: 1 }]);
    off();
    expect(subscribed.has(ipcEventChannel('tick'))).toBe(false);
    bridge.subscribe('not-an-event', () => undefined);
    expect(subscribed.size).toBe(0);
  });
});
