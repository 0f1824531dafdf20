// Preload: exposes exactly `invoke(channel, payload)` and `subscribe(event, cb)` for contract
// channels as `window.allot`. Imports only the schema-free channel list (sandboxed preloads cannot
// load modules); main validates every payload.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, ipcEventChannel, ipcRequestChannel } from '../src-shared/channels';

const requests = new Set<string>(REQUEST_CHANNELS);
const events = new Set<string>(EVENT_CHANNELS);

export const bridge = {
  invoke(channel: string, payload: unknown): Promise<unknown> {
    if (!requests.has(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'invalid-channel', message: `unknown request channel ${String(channel)}` } });
    }
    return ipcRenderer.invoke(ipcRequestChannel(channel), payload);
  },
  subscribe(event: string, listener: (payload: unknown) => void): () => void {
    if (!events.has(event) || typeof listener !== 'function') return () => undefined;
    const wrapped = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(ipcEventChannel(event), wrapped);
    return () => {
      ipcRenderer.removeListener(ipcEventChannel(event), wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('allot', bridge);
