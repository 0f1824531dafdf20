// Connection slice: transport state, app and system info, capabilities, and the wiring that turns
// contract events into store updates. On every (re)connect it reloads what the views need.
import type { StateCreator } from 'zustand';
import type { AppInfo } from '../../src-shared/contract';
import type { Capabilities } from '../../src-shared/actions';
import type { SystemInfo } from '../../src-shared/domain';
import { client, type ConnectionState } from '../ipc/client';
import type { AppState } from './index';
import { errorMessage } from '../../src-shared/errors';

export interface ConnectionSlice {
  connection: ConnectionState;
  transportKind?: 'electron' | 'websocket';
  appInfo?: AppInfo;
  systemInfo?: SystemInfo;
  capabilities?: Capabilities;
  /** Why capabilities could not be read (controls that need them say so). */
  capabilitiesError?: string;
  lastError?: string;
  connect(): () => void;
}

const message = (error: unknown): string => errorMessage(error);

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set, get) => ({
  connection: 'connecting',
  connect() {
    const api = client();
    set({ transportKind: api.kind });
    const fail = (what: string) => (error: unknown) => {
      const text = `${what}: ${message(error)}`;
      set({ lastError: text });
      get().pushToast('error', text);
    };
    const loadInfo = (): void => {
      api.invoke('app.info', {}).then((appInfo) => set({ appInfo }), fail('Could not read app info'));
      api.invoke('system.info', {}).then((systemInfo) => set({ systemInfo }), fail('Could not read system info'));
      api.invoke('capabilities.get', {}).then(
        (capabilities) => set({ capabilities, capabilitiesError: undefined }),
        (error: unknown) => set({ capabilitiesError: message(error) }),
      );
      void get().loadSettings();
      void get().loadChanges();
      void get().loadEngine();
    };
    const offConnection = api.onConnection((connection) => {
      set({ connection });
      if (connection === 'open') loadInfo();
    });
    const offTick = api.subscribe('tick', (tick) => get().applyTick(tick));
    const offChanges = api.subscribe('changes', (payload) => get().applyChangesEvent(payload.changes));
    const offEngine = api.subscribe('engine', (report) => get().applyEngineReport(report));
    return () => {
      offConnection();
      offTick();
      offChanges();
      offEngine();
    };
  },
});
