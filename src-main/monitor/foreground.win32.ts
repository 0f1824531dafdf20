// Windows foreground probe: user32 GetForegroundWindow + GetWindowThreadProcessId for the focused
// window's process, GetLastInputInfo against GetTickCount for idle time, through koffi. Three cheap
// calls per read, no process spawned. koffi is loaded lazily in loadWin32ForegroundApi() (win32 only);
// the probe only sees the Win32ForegroundApi interface, which tests fake.
//
// Limit: both calls describe the interactive desktop of this session. A service in session 0 sees
// no foreground window, which the reading says.
import { importKoffi } from '../native/koffi';
import type { ForegroundProbe, ForegroundReading } from './foreground';
import { errorMessage } from '../../src-shared/errors';

export interface Win32ForegroundApi {
  /** GetForegroundWindow: null when no window has the focus (e.g. the secure desktop or session 0). */
  foregroundWindow(): unknown;
  /** GetWindowThreadProcessId: 0 when the window is gone. */
  windowProcessId(window: unknown): number;
  /** GetLastInputInfo dwTime (GetTickCount units), undefined when the call failed. */
  lastInputTick(): number | undefined;
  /** GetTickCount (32-bit ms, wraps every 49.7 days). */
  tickCount(): number;
  close(): void;
}

/** Idle ms from two 32-bit tick counts, across the 49.7-day wrap. */
export function idleMsFromTicks(nowTick: number, lastInputTick: number): number {
  return (nowTick - lastInputTick) >>> 0;
}

export function foregroundFromWin32(api: Win32ForegroundApi): ForegroundReading {
  const reading: ForegroundReading = {};
  const last = api.lastInputTick();
  if (last !== undefined) reading.idleMs = idleMsFromTicks(api.tickCount(), last);
  const window = api.foregroundWindow();
  if (!window) return { ...reading, unavailableReason: 'no window has the focus (locked screen, secure desktop, or not an interactive session)' };
  const pid = api.windowProcessId(window);
  if (pid <= 0) return { ...reading, unavailableReason: 'the focused window closed while it was read' };
  return { ...reading, pid };
}

export function createWin32ForegroundProbe(api: Win32ForegroundApi): ForegroundProbe {
  return {
    source: 'win32',
    read: () => {
      try {
        return foregroundFromWin32(api);
      } catch (error) {
        return { unavailableReason: `could not read the focused window: ${errorMessage(error)}` };
      }
    },
    close: () => api.close(),
  };
}

export async function loadWin32ForegroundApi(): Promise<Win32ForegroundApi> {
  if (process.platform !== 'win32') throw new Error(`loadWin32ForegroundApi: needs win32, this is ${process.platform}`);
  const koffi = await importKoffi();
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const GetForegroundWindow = user32.func('void * __stdcall GetForegroundWindow()');
  const GetWindowThreadProcessId = user32.func('uint32_t __stdcall GetWindowThreadProcessId(void *hwnd, _Out_ uint32_t *pid)');
  const GetLastInputInfo = user32.func('bool __stdcall GetLastInputInfo(_Inout_ uint8_t *info)');
  const GetTickCount = kernel32.func('uint32_t __stdcall GetTickCount()');
  const info = Buffer.alloc(8); // LASTINPUTINFO { UINT cbSize; DWORD dwTime; }
  const pid = [0];
  return {
    foregroundWindow: () => GetForegroundWindow() as unknown,
    windowProcessId(window) {
      pid[0] = 0;
      GetWindowThreadProcessId(window, pid);
      return pid[0] ?? 0;
    },
    lastInputTick() {
      info.writeUInt32LE(8, 0);
      return GetLastInputInfo(info) ? info.readUInt32LE(4) : undefined;
    },
    tickCount: () => GetTickCount() as number,
    close: () => {},
  };
}
