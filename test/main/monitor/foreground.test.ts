// The foreground chooser, and the Windows and macOS probes against fakes of their binding interfaces.
import { describe, expect, it } from 'vitest';
import { createForegroundProbe } from '../../../src-main/monitor/foreground';
import { createWin32ForegroundProbe, idleMsFromTicks, type Win32ForegroundApi } from '../../../src-main/monitor/foreground.win32';
import { createDarwinForegroundProbe, type DarwinForegroundApi } from '../../../src-main/monitor/foreground.darwin';

describe('createForegroundProbe', () => {
  it('picks X11 on Linux with a display and reasons without one, never throwing', async () => {
    expect((await createForegroundProbe({ platform: 'linux', env: {} })).read()).toEqual({ unavailableReason: 'no display: running headless' });
    expect((await createForegroundProbe({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-1' } })).read()).toEqual({
      unavailableReason: 'Wayland sessions do not expose the focused window to other programs',
    });
  });

  it('turns a native load failure (win32/darwin libraries here) into a reason', async () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const probe = await createForegroundProbe({ platform });
      expect(probe.source).toBe('none');
      expect(probe.read().unavailableReason).toMatch(new RegExp(`could not start.*needs ${platform}`));
      probe.close();
    }
    expect((await createForegroundProbe({ platform: 'aix' })).read().unavailableReason).toMatch(/not implemented for aix/);
  });
});

function fakeWin32(state: { window: unknown; pid: number; lastInput?: number; tick: number }): Win32ForegroundApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    foregroundWindow: () => (calls.push('GetForegroundWindow'), state.window),
    windowProcessId: (w) => (calls.push('GetWindowThreadProcessId'), w === state.window ? state.pid : 0),
    lastInputTick: () => (calls.push('GetLastInputInfo'), state.lastInput),
    tickCount: () => (calls.push('GetTickCount'), state.tick),
    close: () => calls.push('close'),
  };
}

describe('Windows probe', () => {
  it('reads the foreground window owner and idle time from the tick counts', () => {
    const api = fakeWin32({ window: { hwnd: 1 }, pid: 4242, lastInput: 10_000, tick: 12_500 });
    const probe = createWin32ForegroundProbe(api);
    expect(probe.read()).toEqual({ pid: 4242, idleMs: 2500 });
    expect(api.calls).toEqual(['GetLastInputInfo', 'GetTickCount', 'GetForegroundWindow', 'GetWindowThreadProcessId']);
  });

  it('handles the 49.7-day tick wrap', () => {
    expect(idleMsFromTicks(100, 0xffff_ff00)).toBe(356);
    expect(idleMsFromTicks(5000, 4000)).toBe(1000);
  });

  it('says why when nothing has the focus or the window closed meanwhile', () => {
    expect(createWin32ForegroundProbe(fakeWin32({ window: null, pid: 0, lastInput: 1, tick: 2 })).read()).toEqual({
      idleMs: 1,
      unavailableReason: expect.stringMatching(/no window has the focus/),
    });
    const closing = fakeWin32({ window: { hwnd: 2 }, pid: 0, tick: 2 });
    expect(createWin32ForegroundProbe(closing).read()).toEqual({ unavailableReason: 'the focused window closed while it was read' });
  });

  it('never throws out of read()', () => {
    const api = fakeWin32({ window: { hwnd: 1 }, pid: 1, tick: 1 });
    api.foregroundWindow = () => {
      throw new Error('access violation');
    };
    expect(createWin32ForegroundProbe(api).read()).toEqual({ unavailableReason: 'could not read the focused window: access violation' });
  });
});

describe('macOS probe', () => {
  const fake = (windows: Array<{ layer: number; ownerPid: number }> | undefined, seconds = 1.25): DarwinForegroundApi => ({
    frontWindows: () => windows,
    secondsSinceLastInput: () => seconds,
    close: () => {},
  });

  it('takes the owner of the frontmost normal (layer 0) window, skipping menus and overlays', () => {
    const probe = createDarwinForegroundProbe(fake([{ layer: 25, ownerPid: 300 }, { layer: 20, ownerPid: 301 }, { layer: 0, ownerPid: 4242 }, { layer: 0, ownerPid: 99 }]));
    expect(probe.read()).toEqual({ pid: 4242, idleMs: 1250 });
  });

  it('says why when there is no GUI session or no normal window', () => {
    expect(createDarwinForegroundProbe(fake(undefined)).read()).toEqual({ idleMs: 1250, unavailableReason: expect.stringMatching(/window server did not answer/) });
    expect(createDarwinForegroundProbe(fake([{ layer: 25, ownerPid: 300 }])).read()).toEqual({ idleMs: 1250, unavailableReason: 'no normal window is on screen' });
  });
});
