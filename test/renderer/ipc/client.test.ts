// The WebSocket transport against a scripted socket: ticks arrive as process deltas and listeners
// get whole ticks; a delta that does not add up drops the connection, and the next connection
// starts from an empty set (so its first, complete tick is all that counts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebSocketTransport } from '../../../src-renderer/ipc/client';
import type { Tick } from '../../../src-shared/contract';
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
