// macOS foreground probe, through koffi, without a shell and without Objective-C:
// CoreGraphics CGWindowListCopyWindowInfo(on-screen only, excluding desktop elements) lists windows
// front to back; the owner (kCGWindowOwnerPID) of the first window in layer 0 (normal windows; menus,
// the Dock and overlays sit in other layers) is the frontmost application. Idle time is
// CGEventSourceSecondsSinceLastEventType(HID system state, any input event).
//
// Decision: NSWorkspace.frontmostApplication is the canonical answer but needs the Objective-C runtime
// and, outside an AppKit main run loop (the sampler worker, `allot serve`), goes stale. The window
// list is one call plus a few CFArray/CFDictionary look-ups that stop at the first normal window,
// works in any thread, and needs no Screen Recording permission for the owner pid and layer.
// Cost: the list builds a dictionary per on-screen window (about a millisecond); read once per tick.
import { importKoffi } from '../native/koffi';
import type { ForegroundProbe, ForegroundReading } from './foreground';
import { errorMessage } from '../../src-shared/errors';

export interface DarwinForegroundApi {
  /** Owner pid and layer of on-screen windows, front to back, stopping after the first layer-0 one. Undefined when the window server cannot be asked. */
  frontWindows(): Array<{ layer: number; ownerPid: number }> | undefined;
  /** Seconds since the last keyboard/mouse input. */
  secondsSinceLastInput(): number | undefined;
  close(): void;
}

export function foregroundFromDarwin(api: DarwinForegroundApi): ForegroundReading {
  const reading: ForegroundReading = {};
  const seconds = api.secondsSinceLastInput();
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) reading.idleMs = Math.round(seconds * 1000);
  const windows = api.frontWindows();
  if (windows === undefined) return { ...reading, unavailableReason: 'the window server did not answer (no GUI session, e.g. over SSH or as a daemon)' };
  const front = windows.find((w) => w.layer === 0 && w.ownerPid > 0);
  if (!front) return { ...reading, unavailableReason: 'no normal window is on screen' };
  return { ...reading, pid: front.ownerPid };
}

export function createDarwinForegroundProbe(api: DarwinForegroundApi): ForegroundProbe {
  return {
    source: 'darwin-cgwindow',
    read: () => {
      try {
        return foregroundFromDarwin(api);
      } catch (error) {
        return { unavailableReason: `could not read the frontmost window: ${errorMessage(error)}` };
      }
    },
    close: () => api.close(),
  };
}

const kCGWindowListOptionOnScreenOnly = 1;
const kCGWindowListExcludeDesktopElements = 16;
const kCFStringEncodingUTF8 = 0x0800_0100;
const kCFNumberSInt32Type = 3;
const kCGEventSourceStateHIDSystemState = 1;
const kCGAnyInputEventType = 0xffff_ffff;

export async function loadDarwinForegroundApi(): Promise<DarwinForegroundApi> {
  if (process.platform !== 'darwin') throw new Error(`loadDarwinForegroundApi: needs darwin, this is ${process.platform}`);
  const koffi = await importKoffi();
  const cf = koffi.load('/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation');
  const cg = koffi.load('/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics');
  const CFStringCreateWithCString = cf.func('void *CFStringCreateWithCString(void *alloc, const char *text, uint32_t encoding)');
  const CFArrayGetCount = cf.func('long CFArrayGetCount(void *array)');
  const CFArrayGetValueAtIndex = cf.func('void *CFArrayGetValueAtIndex(void *array, long index)');
  const CFDictionaryGetValue = cf.func('void *CFDictionaryGetValue(void *dict, void *key)');
  const CFNumberGetValue = cf.func('bool CFNumberGetValue(void *number, int type, _Out_ int32_t *value)');
  const CFRelease = cf.func('void CFRelease(void *object)');
  const CGWindowListCopyWindowInfo = cg.func('void *CGWindowListCopyWindowInfo(uint32_t option, uint32_t relativeToWindow)');
  const CGEventSourceSecondsSinceLastEventType = cg.func('double CGEventSourceSecondsSinceLastEventType(int stateId, uint32_t eventType)');
  const layerKey = CFStringCreateWithCString(null, 'kCGWindowLayer', kCFStringEncodingUTF8) as unknown;
  const pidKey = CFStringCreateWithCString(null, 'kCGWindowOwnerPID', kCFStringEncodingUTF8) as unknown;
  const out = [0];
  const int32 = (dict: unknown, key: unknown): number | undefined => {
    const number = CFDictionaryGetValue(dict, key) as unknown;
    if (!number) return undefined;
    return CFNumberGetValue(number, kCFNumberSInt32Type, out) ? out[0] : undefined;
  };
  return {
    frontWindows() {
      const list = CGWindowListCopyWindowInfo(kCGWindowListOptionOnScreenOnly | kCGWindowListExcludeDesktopElements, 0) as unknown;
      if (!list) return undefined;
      try {
        const result: Array<{ layer: number; ownerPid: number }> = [];
        const count = Number(CFArrayGetCount(list));
        for (let i = 0; i < count; i++) {
          const dict = CFArrayGetValueAtIndex(list, i) as unknown;
          const layer = int32(dict, layerKey);
          const ownerPid = int32(dict, pidKey);
          if (layer === undefined || ownerPid === undefined) continue;
          result.push({ layer, ownerPid });
          if (layer === 0) break;
        }
        return result;
      } finally {
        CFRelease(list);
      }
    },
    secondsSinceLastInput: () => CGEventSourceSecondsSinceLastEventType(kCGEventSourceStateHIDSystemState, kCGAnyInputEventType) as number,
    close() {
      CFRelease(layerKey);
      CFRelease(pidKey);
    },
  };
}
