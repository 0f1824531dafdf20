// The WebSocket transport against a scripted socket: ticks arrive as process deltas and listeners
// get whole ticks; a delta that does not add up drops the connection, and the next connection
// starts from an empty set (so its first, complete tick is all that counts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBridgeTransport, createWebSocketTransport } from '../../../src-renderer/ipc/client';
import type { AllotBridge, IpcTickMessage, Tick } from '../../../src-shared/contract';
import type { ProcessSample } from '../../../src-shared/domain';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';

class ScriptedSocket {
  static OPEN = 1;
  static all: ScriptedSocket[] = [];
  readyState = 0;
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    ScriptedSocket.all.push(this);
  }
  send(): void {}
  close(): void {
    this.closed = true;
    this.readyState = 3;
    this.onclose?.();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  tick(seq: number, changed: ProcessSample[], removed: string[], count: number): void {
    const payload: Tick = { seq, sample: fixtureSample([]) };
    this.onmessage?.({ data: JSON.stringify({ type: 'tick', payload, processes: { changed, removed, count } }) });
  }
}

beforeEach(() => {
  ScriptedSocket.all = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', ScriptedSocket);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const pids = (tick: Tick | undefined) => tick?.sample.processes.map((p) => p.pid);

describe('WebSocket transport', () => {
  it('rebuilds whole ticks from deltas, and resyncs on a new connection when a delta does not add up', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const transport = createWebSocketTransport('ws://agent/ws');
    const ticks: Tick[] = [];
    transport.subscribe('tick', (tick) => ticks.push(tick));
    const first = ScriptedSocket.all[0]!;
    first.open();
    first.tick(1, [fixtureProcess({ pid: 1 }), fixtureProcess({ pid: 2 })], [], 2);
    first.tick(2, [fixtureProcess({ pid: 2, cpuPercent: 50 }), fixtureProcess({ pid: 3 })], ['1:123456'], 2);
    expect(ticks.map(pids)).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(ticks[1]!.sample.processes.find((p) => p.pid === 2)?.cpuPercent).toBe(50);

    // A delta that names a process the page never had: no tick is shown, the connection is dropped.
    first.tick(3, [fixtureProcess({ pid: 4 })], [], 4);
    expect(ticks).toHaveLength(2);
    expect(first.closed).toBe(true);
    expect(errors).toHaveBeenCalled();

    // The reconnect starts empty: its first tick is complete and is exactly what the page shows.
    vi.advanceTimersByTime(1000);
    const second = ScriptedSocket.all[1]!;
    second.open();
    second.tick(4, [fixtureProcess({ pid: 7 })], [], 1);
    expect(pids(ticks[2])).toEqual([7]);
    // Late messages from the old socket are ignored.
    first.onmessage?.({ data: JSON.stringify({ type: 'tick', payload: { seq: 9, sample: fixtureSample([]) }, processes: { changed: [], removed: [], count: 0 } }) });
    expect(ticks).toHaveLength(3);
  });
});

describe('Electron bridge transport', () => {
  it('decodes tick deltas once for every listener, from the first complete tick, and waits for the next after a gap', () => {
    let deliver: ((payload: unknown) => void) | undefined;
    const bridge: AllotBridge = {
      invoke: async () => ({ ok: true, value: null }),
      subscribe: (event, listener) => {
        if (event === 'tick') deliver = listener;
        return () => undefined;
      },
    };
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    errors.mockClear();
    const transport = createBridgeTransport(bridge);
    // Subscribed at once, before any listener, so the first complete tick after page load is seen.
    expect(deliver).toBeDefined();
    const send = (seq: number, complete: boolean, changed: ProcessSample[], removed: string[], count: number) => {
      const message: IpcTickMessage = { tick: { seq, sample: fixtureSample([]) }, processes: { changed, removed, count }, complete };
      deliver!(message);
    };
    const a: Tick[] = [];
    const b: Tick[] = [];
    transport.subscribe('tick', (tick) => a.push(tick));
    transport.subscribe('tick', (tick) => b.push(tick));
    // A delta from before this page: nothing to build it on, skipped.
    send(1, false, [fixtureProcess({ pid: 9 })], [], 5);
    expect(a).toEqual([]);
    send(2, true, [fixtureProcess({ pid: 1 }), fixtureProcess({ pid: 2 })], [], 2);
    send(3, false, [fixtureProcess({ pid: 3 })], ['1:123456'], 2);
    expect(a.map(pids)).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(b).toEqual(a);
    // A delta that does not add up: skipped, and so is everything until the next complete tick.
    send(4, false, [], [], 7);
    send(5, false, [fixtureProcess({ pid: 4 })], [], 3);
    expect(a).toHaveLength(2);
    expect(errors).toHaveBeenCalledTimes(1);
    send(6, true, [fixtureProcess({ pid: 8 })], [], 1);
    expect(pids(a.at(-1))).toEqual([8]);
  });
});
