// Linux foreground probe: X11 through libX11.so.6 via koffi. The root window's _NET_ACTIVE_WINDOW
// (set by EWMH window managers) names the focused window; its _NET_WM_PID names the process. User idle
// time comes from the MIT-SCREEN-SAVER extension (XScreenSaverQueryInfo in libXss.so.1) when present.
// One display connection is opened at creation and reused: a read is two or three round trips to the
// X server, no process is spawned.
//
// Where it cannot work it says why: a Wayland session without Xwayland (WAYLAND_DISPLAY set, DISPLAY
// not) does not expose the focused window to other programs; with neither, Allot runs headless. Under
// Xwayland, _NET_ACTIVE_WINDOW only names X11 windows, so a focused native Wayland window reads as
// "unknown" with that reason.
//
// Xlib safety: Xlib's default error handler exits the process on an X error (e.g. BadWindow when the
// active window closes between the two reads). read() installs its own handler only for the duration
// of its calls and puts the previous one back. The default I/O error handler also exits when the X
// server goes away; with libX11 >= 1.7 the probe sets an I/O error exit handler on its own connection
// and (only while its calls run) an I/O error handler, both of which mark it dead instead, and it
// never touches that connection again. With an older libX11 a vanished X server still ends the
// process, as it does for every Xlib program.
import koffi from 'koffi';
import type { ForegroundProbe, ForegroundReading } from './foreground';
import { errorMessage } from '../../src-shared/errors';

export const WAYLAND_REASON = 'Wayland sessions do not expose the focused window to other programs';
export const HEADLESS_REASON = 'no display: running headless';
export const XWAYLAND_NATIVE_REASON = 'the focused window is a native Wayland window, which Wayland does not expose to other programs';

/** Why the X11 probe cannot run in this environment, or null when DISPLAY is set. */
export function linuxUnavailableReason(env: NodeJS.ProcessEnv): string | null {
  if (env.DISPLAY) return null;
  if (env.WAYLAND_DISPLAY) return WAYLAND_REASON;
  return HEADLESS_REASON;
}

/** What the probe needs from X11; the real one is loadX11(), tests may fake it. */
export interface X11Api {
  /** Window id in _NET_ACTIVE_WINDOW of the root; 0 when none; 'unsupported' when the WM does not set it. */
  activeWindow(): number | 'unsupported' | 'error';
  /** _NET_WM_PID of a window; undefined when unset. */
  windowPid(window: number): number | undefined | 'error';
  /** Idle ms from MIT-SCREEN-SAVER; undefined when the extension is missing. */
  idleMs(): number | undefined;
  /** False once the X server went away. */
  alive(): boolean;
  close(): void;
}

type Fn = ReturnType<ReturnType<typeof koffi.load>['func']>;

let xErrorProto: ReturnType<typeof koffi.proto> | undefined;
let ioExitProto: ReturnType<typeof koffi.proto> | undefined;
let ioErrorProto: ReturnType<typeof koffi.proto> | undefined;

/** Open the X display named by `display` through libX11 (and libXss when present). Throws with why. */
export function loadX11(display: string): X11Api {
  const x11 = koffi.load('libX11.so.6');
  xErrorProto ??= koffi.proto('int AllotXErrorHandler(void *display, void *event)');
  ioExitProto ??= koffi.proto('void AllotXIOErrorExitHandler(void *display, void *data)');
  ioErrorProto ??= koffi.proto('int AllotXIOErrorHandler(void *display)');
  const XOpenDisplay = x11.func('void *XOpenDisplay(const char *name)');
  const XCloseDisplay = x11.func('int XCloseDisplay(void *display)');
  const XDefaultRootWindow = x11.func('unsigned long XDefaultRootWindow(void *display)');
  const XInternAtom = x11.func('unsigned long XInternAtom(void *display, const char *name, int onlyIfExists)');
  const XGetWindowProperty = x11.func(
    'int XGetWindowProperty(void *display, unsigned long w, unsigned long property, long offset, long length, int del, unsigned long reqType, _Out_ unsigned long *actualType, _Out_ int *actualFormat, _Out_ unsigned long *nitems, _Out_ unsigned long *bytesAfter, _Out_ void **prop)',
  );
  const XFree = x11.func('int XFree(void *data)');
  const XSetErrorHandler = x11.func('XSetErrorHandler', 'void *', [koffi.pointer(xErrorProto)]);
  const XSetIOErrorHandler = x11.func('XSetIOErrorHandler', 'void *', [koffi.pointer(ioErrorProto)]);
  let XSetIOErrorExitHandler: Fn | undefined;
  try {
    XSetIOErrorExitHandler = x11.func('XSetIOErrorExitHandler', 'void', ['void *', koffi.pointer(ioExitProto), 'void *']);
  } catch {
    XSetIOErrorExitHandler = undefined; // libX11 < 1.7
  }

  const dpy = XOpenDisplay(display) as unknown;
  if (!dpy) throw new Error(`cannot open X display ${display}`);
  let dead = false;
  let closed = false;
  let xError = false;
  const errorHandler = koffi.register(() => {
    xError = true;
    return 0;
  }, koffi.pointer(xErrorProto));
  // The (process-wide) I/O error handler only marks the connection dead; it is installed only while
  // the probe's own calls run, which are the only ones that touch this connection.
  const ioErrorHandler = koffi.register(() => {
    dead = true;
    return 0;
  }, koffi.pointer(ioErrorProto));
  const ioExitHandler = XSetIOErrorExitHandler
    ? koffi.register(() => {
        dead = true;
      }, koffi.pointer(ioExitProto))
    : undefined;
  if (XSetIOErrorExitHandler && ioExitHandler) XSetIOErrorExitHandler(dpy, ioExitHandler, null);

  const root = XDefaultRootWindow(dpy) as number;
  const NET_ACTIVE_WINDOW = XInternAtom(dpy, '_NET_ACTIVE_WINDOW', 0) as number;
  const NET_WM_PID = XInternAtom(dpy, '_NET_WM_PID', 0) as number;

  let xss: { queryInfo: Fn; info: Buffer } | undefined;
  try {
    const lib = koffi.load('libXss.so.1');
    const query = lib.func('int XScreenSaverQueryExtension(void *display, _Out_ int *event, _Out_ int *error)');
    if (query(dpy, [0], [0])) {
      // XScreenSaverInfo { Window window; int state; int kind; unsigned long til_or_since; unsigned long idle; unsigned long eventMask; }
      xss = { queryInfo: lib.func('int XScreenSaverQueryInfo(void *display, unsigned long drawable, _Out_ uint8_t *info)'), info: Buffer.alloc(64) };
    }
  } catch {
    xss = undefined;
  }
  const ulong = koffi.sizeof('unsigned long');
  const idleOffset = ulong + 4 + 4 + ulong;

  /** Run Xlib calls with our error handler installed; returns 'error' when an X error was reported. */
  function guarded<T>(fn: () => T): T | 'error' {
    if (dead) return 'error';
    xError = false;
    const previous = XSetErrorHandler(errorHandler) as unknown;
    const previousIo = ioExitHandler ? (XSetIOErrorHandler(ioErrorHandler) as unknown) : undefined;
    try {
      const result = fn();
      return xError || dead ? 'error' : result;
    } finally {
      XSetErrorHandler(previous);
      if (ioExitHandler) XSetIOErrorHandler(previousIo);
    }
  }

  /** First 32-bit item of a property (returned by Xlib as an unsigned long), undefined when unset. */
  function cardinal(window: number, atom: number): number | undefined | 'error' {
    return guarded(() => {
      const type = [0];
      const format = [0];
      const nitems = [0];
      const after = [0];
      const data: unknown[] = [null];
      const status = XGetWindowProperty(dpy, window, atom, 0, 1, 0, 0 /* AnyPropertyType */, type, format, nitems, after, data) as number;
      if (status !== 0) return 'error' as const;
      const ptr = data[0];
      try {
        if (!ptr || (nitems[0] ?? 0) < 1 || format[0] !== 32) return undefined;
        return Number(koffi.decode(ptr, 'unsigned long'));
      } finally {
        if (ptr) XFree(ptr);
      }
    });
  }

  return {
    activeWindow() {
      if (dead || closed) return 'error';
      const value = cardinal(root, NET_ACTIVE_WINDOW);
      if (value === 'error') return 'error';
      return value === undefined ? 'unsupported' : value;
    },
    windowPid(window) {
      if (dead || closed) return 'error';
      return cardinal(window, NET_WM_PID);
    },
    idleMs() {
      if (!xss || dead || closed) return undefined;
      const { queryInfo, info } = xss;
      const r = guarded(() => (queryInfo(dpy, root, info) as number) !== 0);
      if (r !== true) return undefined;
      return Number(ulong === 8 ? info.readBigUInt64LE(idleOffset) : BigInt(info.readUInt32LE(idleOffset)));
    },
    alive: () => !dead && !closed,
    close() {
      if (closed) return;
      closed = true;
      // A dead connection must not be touched again (Xlib would report the I/O error once more).
      if (!dead) XCloseDisplay(dpy);
      koffi.unregister(errorHandler);
      // The I/O handlers stay registered when the display died: Xlib may still hold them.
      if (!dead) {
        koffi.unregister(ioErrorHandler);
        if (ioExitHandler) koffi.unregister(ioExitHandler);
      }
    },
  };
}

/** Turn the X11 answers into one reading. Pure, so the rules are tested without a display. */
export function foregroundFromX11(api: Pick<X11Api, 'activeWindow' | 'windowPid' | 'idleMs' | 'alive'>, env: NodeJS.ProcessEnv): ForegroundReading {
  if (!api.alive()) return { unavailableReason: 'the X server went away' };
  const reading: ForegroundReading = {};
  const idleMs = api.idleMs();
  if (idleMs !== undefined) reading.idleMs = idleMs;
  const window = api.activeWindow();
  if (window === 'error') return { ...reading, unavailableReason: api.alive() ? 'could not read _NET_ACTIVE_WINDOW from the X server' : 'the X server went away' };
  if (window === 'unsupported') return { ...reading, unavailableReason: 'the window manager does not publish the focused window (_NET_ACTIVE_WINDOW)' };
  if (window === 0) {
    return { ...reading, unavailableReason: env.WAYLAND_DISPLAY ? XWAYLAND_NATIVE_REASON : 'no window has the focus' };
  }
  const pid = api.windowPid(window);
  // BadWindow: the focused window closed between the two reads; the next tick will see the new one.
  if (pid === 'error') return { ...reading, unavailableReason: 'the focused window closed while it was read' };
  if (pid === undefined || pid <= 0) return { ...reading, unavailableReason: 'the focused window does not say which process owns it (_NET_WM_PID unset)' };
  return { ...reading, pid };
}

export interface LinuxForegroundOptions {
  load?: (display: string) => X11Api;
}

export function createLinuxForegroundProbe(env: NodeJS.ProcessEnv = process.env, options: LinuxForegroundOptions = {}): ForegroundProbe {
  const reason = linuxUnavailableReason(env);
  if (reason !== null || !env.DISPLAY) return { source: 'none', read: () => ({ unavailableReason: reason ?? HEADLESS_REASON }), close: () => {} };
  let api: X11Api;
  try {
    api = (options.load ?? loadX11)(env.DISPLAY);
  } catch (error) {
    const why = `X11 is not usable (${errorMessage(error)})`;
    return { source: 'none', read: () => ({ unavailableReason: why }), close: () => {} };
  }
  return {
    source: 'x11',
    read: () => {
      try {
        return foregroundFromX11(api, env);
      } catch (error) {
        return { unavailableReason: `could not read the focused window: ${errorMessage(error)}` };
      }
    },
    close: () => api.close(),
  };
}
