// Connection slice: transport state, app and system info, and the wiring that turns contract
// events into store updates. The only slice that calls ipc/client at start-up.
import type { StateCreator } from 'zustand';
import type { AppInfo } from '../../src-shared/contract';
import type { SystemInfo } from '../../src-shared/domain';
import { client, type ConnectionState } from '../ipc/client';
import type { AppState } from './index';

export interface ConnectionSlice {
  connection: ConnectionState;
  appInfo?: AppInfo;
  systemInfo?: SystemInfo;
  lastError?: string;
  connect(): () => void;
}

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set, get) => ({
  connection: 'connecting',
  connect() {
    const api = client();
    const loadInfo = (): void => {
      api.invoke('app.info', {}).then(
        (appInfo) => set({ appInfo }),
        (error: Error) => set({ lastError: error.message }),
      );
      api.invoke('system.info', {}).then(
        (systemInfo) => set({ systemInfo }),
        (error: Error) => set({ lastError: error.message }),
      );
    };
    const offConnection = api.onConnection((connection) => {
      set({ connection });
      if (connection === 'open') loadInfo();
    });
    const offTick = api.subscribe('tick', (tick) => get().applyTick(tick));
    return () => {
      offConnection();
      offTick();
    };
  },
});
