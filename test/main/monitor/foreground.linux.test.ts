// The X11 foreground probe against a real X server (Xvfb, from the Debian package `xvfb`): a test
// client creates a window carrying _NET_WM_PID of a real child process and, standing in for the
// window manager, sets the root's _NET_ACTIVE_WINDOW; the probe must name that pid. Also: idle time
// from MIT-SCREEN-SAVER, a focused window without _NET_WM_PID, a focused window that no longer
// exists (BadWindow must not end the process), the X server going away, and the reasons for
// Wayland and headless sessions.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLinuxForegroundProbe,
  foregroundFromX11,
  HEADLESS_REASON,
  linuxUnavailableReason,
  WAYLAND_REASON,
  XWAYLAND_NATIVE_REASON,
} from '../../../src-main/monitor/foreground.linux';

const hasXvfb = spawnSync('sh', ['-c', 'command -v Xvfb'], { encoding: 'utf8' }).status === 0;

describe('environment reasons', () => {
  it('says exactly why there is no foreground window on Wayland-only and headless sessions', () => {
    expect(linuxUnavailableReason({ WAYLAND_DISPLAY: 'wayland-0' })).toBe('Wayland sessions do not expose the focused window to other programs');
    expect(linuxUnavailableReason({})).toBe('no display: running headless');
    expect(linuxUnavailableReason({ DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' })).toBeNull();
    expect(createLinuxForegroundProbe({ WAYLAND_DISPLAY: 'wayland-0' }).read()).toEqual({ unavailableReason: WAYLAND_REASON });
    expect(createLinuxForegroundProbe({}).read()).toEqual({ unavailableReason: HEADLESS_REASON });
  });

  it('reports an X display that cannot be opened instead of throwing', () => {
    const reading = createLinuxForegroundProbe({ DISPLAY: ':987' }).read();
    expect(reading.pid).toBeUndefined();
    expect(reading.unavailableReason).toMatch(/X11 is not usable.*:987/);
  });

  it('under Xwayland, no active X window means a native Wayland window has the focus', () => {
    const api = { alive: () => true, idleMs: () => 5, activeWindow: () => 0 as const, windowPid: () => undefined };
    expect(foregroundFromX11(api, { DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ idleMs: 5, unavailableReason: XWAYLAND_NATIVE_REASON });
    expect(foregroundFromX11(api, { DISPLAY: ':0' })).toEqual({ idleMs: 5, unavailableReason: 'no window has the focus' });
  });
});

describe.skipIf(!hasXvfb)('X11 through Xvfb', () => {
  const display = `:${100 + (process.pid % 500)}`;
  let xvfb: ChildProcess;
  let target: ChildProcess;
  let client: ReturnType<typeof openClient> | undefined;

  function openClient() {
    const x11 = koffi.load('libX11.so.6');
    const XOpenDisplay = x11.func('void *XOpenDisplay(const char *name)');
    const XDefaultRootWindow = x11.func('unsigned long XDefaultRootWindow(void *display)');
    const XInternAtom = x11.func('unsigned long XInternAtom(void *display, const char *name, int onlyIfExists)');
    const XCreateSimpleWindow = x11.func('unsigned long XCreateSimpleWindow(void *display, unsigned long parent, int x, int y, unsigned int w, unsigned int h, unsigned int border, unsigned long borderColor, unsigned long background)');
    const XChangeProperty = x11.func('int XChangeProperty(void *display, unsigned long w, unsigned long property, unsigned long type, int format, int mode, uint8_t *data, int n)');
    const XSync = x11.func('int XSync(void *display, int discard)');
    const XCloseDisplay = x11.func('int XCloseDisplay(void *display)');
    const dpy = XOpenDisplay(display) as unknown;
    if (!dpy) throw new Error(`test client cannot open ${display}`);
    const root = XDefaultRootWindow(dpy) as number;
    const XA_CARDINAL = 6;
    const XA_WINDOW = 33;
    const long = (value: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(value));
      return b;
    };
    return {
      window(pid?: number): number {
        const w = XCreateSimpleWindow(dpy, root, 0, 0, 10, 10, 0, 0, 0) as number;
        if (pid !== undefined) XChangeProperty(dpy, w, XInternAtom(dpy, '_NET_WM_PID', 0), XA_CARDINAL, 32, 0, long(pid), 1);
        XSync(dpy, 0);
        return w;
      },
      activate(window: number): void {
        XChangeProperty(dpy, root, XInternAtom(dpy, '_NET_ACTIVE_WINDOW', 0), XA_WINDOW, 32, 0, long(window), 1);
        XSync(dpy, 0);
      },
      close: () => XCloseDisplay(dpy),
    };
  }

  beforeAll(async () => {
    xvfb = spawn('Xvfb', [display, '-nolisten', 'tcp', '-noreset'], { stdio: 'ignore' });
    const socket = `/tmp/.X11-unix/X${display.slice(1)}`;
    for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 100));
    client = openClient();
    target = spawn('sleep', ['60'], { stdio: 'ignore' });
  });

  afterAll(() => {
    client?.close();
    target?.kill('SIGKILL');
    if (xvfb?.exitCode === null) xvfb.kill('SIGKILL');
  });

  it('names the process owning the active window, and the idle time', () => {
    const probe = createLinuxForegroundProbe({ DISPLAY: display });
    expect(probe.source).toBe('x11');
    // No window manager yet: nobody published _NET_ACTIVE_WINDOW.
    expect(probe.read().unavailableReason).toMatch(/does not publish the focused window/);
    const window = client!.window(target.pid);
    client!.activate(window);
    const reading = probe.read();
    expect(reading.pid).toBe(target.pid);
    expect(reading.unavailableReason).toBeUndefined();
    expect(typeof reading.idleMs).toBe('number');
    // Focus moves to another window: the probe follows.
    const mine = client!.window(process.pid);
    client!.activate(mine);
    expect(probe.read().pid).toBe(process.pid);
    probe.close();
  });

  it('idle time grows while nobody touches the (virtual) keyboard', async () => {
    const probe = createLinuxForegroundProbe({ DISPLAY: display });
    const first = probe.read().idleMs ?? -1;
    await new Promise((r) => setTimeout(r, 300));
    const second = probe.read().idleMs ?? -1;
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    probe.close();
  });

  it('says so when the focused window has no _NET_WM_PID or no longer exists, without dying', () => {
    const probe = createLinuxForegroundProbe({ DISPLAY: display });
    client!.activate(client!.window());
    expect(probe.read()).toMatchObject({ unavailableReason: expect.stringMatching(/_NET_WM_PID unset/) });
    client!.activate(0x7ff_fff0); // no such window: BadWindow
    expect(probe.read()).toMatchObject({ unavailableReason: 'the focused window closed while it was read' });
    // Still usable after the X error.
    client!.activate(client!.window(target.pid));
    expect(probe.read().pid).toBe(target.pid);
    probe.close();
  });

  it('survives the X server going away (last: it stops Xvfb)', async () => {
    const probe = createLinuxForegroundProbe({ DISPLAY: display });
    expect(probe.read().pid).toBe(target.pid);
    // The test's own plain-Xlib client would end this process on the I/O error: close it first.
    client?.close();
    client = undefined;
    const exited = new Promise((r) => xvfb.once('exit', r));
    xvfb.kill('SIGKILL');
    await exited;
    expect(probe.read()).toEqual({ unavailableReason: 'the X server went away' });
    expect(probe.read()).toEqual({ unavailableReason: 'the X server went away' });
    probe.close();
  });
});
