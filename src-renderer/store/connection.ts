// Connection slice: transport state, app and system info, capabilities, and the wiring that turns
// contract events into store updates. On every (re)connect it reloads what the views need.
import type { StateCreator } from 'zustand';
import type { AppInfo } from '../../src-shared/contract';
import type { Capabilities } from '../../src-shared/actions';
import type { SystemInfo } from '../../src-shared/domain';
import { client, type ConnectionState, type SessionRole } from '../ipc/client';
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
  /** This page's role: a viewer token reads only (acting controls are disabled with the reason). */
  role?: SessionRole;
  connect(): () => void;
}

/** Why acting controls are disabled right now, or undefined when this page may act. */
export function actBlockedReason(state: Pick<ConnectionSlice, 'connection' | 'role'>): string | undefined {
  if (state.role === 'viewer') return 'Read-only: this page was opened with the viewer URL. Acting needs the operator URL that `allot serve` printed.';
  if (state.connection === 'rejected') return 'This page\'s token is no longer accepted: open the new URL that `allot serve` printed.';
  if (state.connection === 'closed') return 'Not connected to Allot: acting resumes when the connection is back.';
  return undefined;
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
      api.session().then(
        ({ role }) => set({ role }),
        () => undefined, // unknown until the agent answers; the server still refuses what a viewer may not do
      );
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
