// Ticks over Electron IPC as process deltas, against a mocked `electron` (the binary cannot run
// here) typed against the real definitions: complete for a new page, after a reload and every
// TICK_KEYFRAME_EVERY ticks, deltas between; decoded they are exactly the ticks the core emitted.
import { describe, expect, it, vi } from 'vitest';
import type * as Electron from 'electron';
import { TICK_KEYFRAME_EVERY, type EventChannel, type EventPayload, type IpcTickMessage, type Tick } from '../../../src-shared/contract';
import { ipcEventChannel } from '../../../src-shared/channels';
import { ProcessDeltaDecoder } from '../../../src-shared/process-delta';
import type { CoreLike } from '../../../src-main/core/service';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';

vi.mock('electron', () => {
  const ipcMain: Pick<Electron.IpcMain, 'handle' | 'removeHandler'> = { handle: () => undefined, removeHandler: () => undefined };
  return { ipcMain };
});
const { forwardEvents } = await import('../../../src-main/electron/ipc');

/** A WebContents that records what it is sent and lets the test fire its page-load event. */
function fakeContents() {
  const sent: Array<{ channel: string; payload: unknown }> = [];
  const loads: Array<() => void> = [];
  const contents: Pick<Electron.WebContents, 'isDestroyed'> & { send(channel: string, payload: unknown): void; on(event: 'did-finish-load', listener: () => void): unknown } = {
    isDestroyed: () => false,
    send: (channel, payload) => void sent.push({ channel, payload }),
    on: (_event, listener) => loads.push(listener),
  };
  return { contents: contents as unknown as Electron.WebContents, sent, reload: () => loads.forEach((listener) => listener()) };
}

function fakeCore() {
  const listeners = new Map<EventChannel, Array<(payload: unknown) => void>>();
  const core: CoreLike = {
    handle: async () => ({ ok: true, value: null }),
    on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      const entry = listener as (payload: unknown) => void;
      listeners.set(event, [...(listeners.get(event) ?? []), entry]);
      return () => listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== entry));
    },
    stop: async () => undefined,
  };
  return {
    core,
    emit: (event: EventChannel, payload: unknown) => listeners.get(event)?.forEach((listener) => listener(payload)),
    listening: (event: EventChannel) => (listeners.get(event) ?? []).length,
  };
}

describe('forwardEvents', () => {
  it('sends ticks as deltas that rebuild every tick, complete after a reload, for a new page and every keyframe', () => {
    const { core, emit } = fakeCore();
    let page = fakeContents();
    forwardEvents(core, () => page.contents);
    const tickAt = (seq: number): Tick => ({
      seq,
      sample: fixtureSample([fixtureProcess({ pid: 1, name: 'idle' }), fixtureProcess({ pid: 2, name: 'busy', cpuPercent: seq }), fixtureProcess({ pid: 100 + seq, startTime: seq })], 1_763_700_000_000 + seq * 1000),
    });
    const messages = () => page.sent.filter((m) => m.channel === ipcEventChannel('tick')).map((m) => m.payload as IpcTickMessage);
    const decoder = new ProcessDeltaDecoder();
    const decode = (message: IpcTickMessage) => {
      if (message.complete) decoder.reset();
      const processes = decoder.apply(message.processes);
      return processes && { ...message.tick, sample: { ...message.tick.sample, processes } };
    };
    for (let seq = 1; seq <= 3; seq++) emit('tick', tickAt(seq));
    expect(messages().map((m) => [m.complete, m.processes.changed.length, m.processes.removed.length])).toEqual([
      [true, 3, 0],
      [false, 2, 1],
      [false, 2, 1],
    ]);
    messages().forEach((message, i) => expect(decode(message)).toEqual(tickAt(i + 1)));
    // Other events go through as they are.
    emit('changes', { changes: [] });
    expect(page.sent.at(-1)).toEqual({ channel: ipcEventChannel('changes'), payload: { changes: [] } });
    // The page reloads: it starts with nothing, so the next tick is complete.
    page.reload();
    emit('tick', tickAt(4));
    expect(messages().at(-1)).toMatchObject({ complete: true, processes: { count: 3 } });
    expect(messages().at(-1)!.processes.changed).toHaveLength(3);
    // A keyframe every TICK_KEYFRAME_EVERY ticks.
    for (let seq = 5; seq < 5 + TICK_KEYFRAME_EVERY; seq++) emit('tick', tickAt(seq));
    expect(messages().filter((m) => m.complete)).toHaveLength(3);
    // A new window (another WebContents) starts complete too.
    page = fakeContents();
    emit('tick', tickAt(100));
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.complete).toBe(true);
    expect(decode(messages()[0]!)).toEqual(tickAt(100));
  });
});

describe('forwardEvents with a window hidden in the tray', () => {
  it('takes no tick while the window is hidden, and starts complete when it shows again', () => {
    const { core, emit, listening } = fakeCore();
    const page = fakeContents();
    let visible = false;
    let changed: (() => void) | undefined;
    forwardEvents(core, () => page.contents, { visible: () => visible, onChange: (listener) => ((changed = listener), () => undefined) });
    const tick = (seq: number): Tick => ({ seq, sample: fixtureSample([fixtureProcess({ pid: 1, name: 'idle' })], 1_763_700_000_000 + seq * 1000) });
    // Hidden: not even subscribed (so the core sends nothing across threads), other events still flow.
    expect(listening('tick')).toBe(0);
    expect(listening('engine')).toBe(1);
    emit('tick', tick(1));
    expect(page.sent).toHaveLength(0);
    visible = true;
    changed!();
    expect(listening('tick')).toBe(1);
    emit('tick', tick(2));
    emit('tick', tick(3));
    visible = false;
    changed!();
    expect(listening('tick')).toBe(0);
    visible = true;
    changed!();
    emit('tick', tick(4));
    const ticks = page.sent.filter((m) => m.channel === ipcEventChannel('tick')).map((m) => (m.payload as IpcTickMessage).complete);
    expect(ticks).toEqual([true, false, true]);
  });
});
