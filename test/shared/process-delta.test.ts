// Ticks as process deltas: whatever sequence of process lists the agent sends (and whichever of
// them it drops for a slow client), the page rebuilds exactly the list of the last one sent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProcessSample } from '../../src-shared/domain';
import { ProcessDeltaDecoder, ProcessDeltaEncoder, processKey, sameValue } from '../../src-shared/process-delta';

const proc = (pid: number, startTime: number, cpuPercent: number): ProcessSample => ({
  pid,
  ppid: 1,
  startTime,
  startedAtMs: startTime * 1000,
  name: `p${pid}`,
  cmdline: `p${pid}`,
  user: 'u',
  state: 'sleeping',
  threads: 1,
  nice: 0,
  cpuPercent,
  rssBytes: 4096,
});

/** Send `list` through the wire the way the agent does (JSON text) and decode it. */
function roundTrip(encoder: ProcessDeltaEncoder, decoder: ProcessDeltaDecoder, list: ProcessSample[], sent = true) {
  const delta = encoder.encode(list);
  if (!sent) return { delta, decoded: undefined };
  encoder.commit(delta);
  const changed = delta.changedIndexes.map((index) => JSON.stringify(list[index]));
  const wire = JSON.parse(`{"changed":[${changed.join(',')}],"removed":${JSON.stringify(delta.removed)},"count":${delta.count}}`) as { changed: ProcessSample[]; removed: string[]; count: number };
  return { delta, decoded: decoder.apply(wire) };
}

const byKey = (list: readonly ProcessSample[]) => new Map(list.map((p) => [processKey(p), p]));

describe('process deltas', () => {
  it('sends only what changed and rebuilds the whole list', () => {
    const encoder = new ProcessDeltaEncoder();
    const decoder = new ProcessDeltaDecoder();
    const first = [proc(1, 10, 0), proc(2, 20, 5), proc(3, 30, 0)];
    expect(roundTrip(encoder, decoder, first).decoded).toEqual(first);
    // pid 2 changes, pid 3 exits, pid 3 is reused by a new process (other start time).
    const second = [proc(1, 10, 0), proc(2, 20, 7), proc(3, 31, 1)];
    const { delta, decoded } = roundTrip(encoder, decoder, second);
    expect(delta.changedIndexes.map((index) => second[index]!.pid)).toEqual([2, 3]);
    expect(delta.removed).toEqual(['3:30']);
    expect(decoded).toEqual(second);
    // Nothing changed: nothing but the count is sent.
    const idle = roundTrip(encoder, decoder, second);
    expect(idle.delta.changedIndexes).toEqual([]);
    expect(idle.delta.removed).toEqual([]);
    expect(idle.decoded).toEqual(second);
  });

  it('counts the last entry when a racy sample lists a process twice, on both sides', () => {
    const encoder = new ProcessDeltaEncoder();
    const decoder = new ProcessDeltaDecoder();
    roundTrip(encoder, decoder, [proc(1, 1, 1), proc(1, 1, 2)]);
    roundTrip(encoder, decoder, [proc(1, 1, 3), proc(1, 1, 2)]);
    expect(roundTrip(encoder, decoder, [proc(1, 1, 2)]).decoded).toEqual([proc(1, 1, 2)]);
  });

  it('compares values field by field: arrays and nested objects by content, a changed or added field is a change', () => {
    const base = { ...proc(1, 1, 0), affinity: [0, 1], unavailable: ['io:permission'] };
    expect(sameValue(base, { ...base, affinity: [0, 1], unavailable: ['io:permission'] })).toBe(true);
    expect(sameValue(base, { ...base, affinity: [0] })).toBe(false);
    expect(sameValue(base, { ...base, rssBytes: 8192 })).toBe(false);
    expect(sameValue(base, { ...base, readBytesPerSec: 0 })).toBe(false);
    expect(sameValue({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } })).toBe(true);
    expect(sameValue({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 3 }] } })).toBe(false);
    expect(sameValue([1], { 0: 1 })).toBe(false);
  });

  it('reports a stream that does not add up (count mismatch) instead of showing a wrong list', () => {
    const decoder = new ProcessDeltaDecoder();
    expect(decoder.apply({ changed: [proc(1, 1, 0)], removed: [], count: 2 })).toBeNull();
    decoder.reset();
    expect(decoder.apply({ changed: [proc(1, 1, 0)], removed: [], count: 1 })).toEqual([proc(1, 1, 0)]);
  });

  it('rebuilds every list exactly, across starts, exits, changes and dropped deltas (property)', () => {
    const listArb = fc.uniqueArray(fc.record({ pid: fc.integer({ min: 1, max: 30 }), startTime: fc.integer({ min: 1, max: 3 }), cpu: fc.integer({ min: 0, max: 3 }) }), {
      selector: (p) => p.pid,
      maxLength: 25,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(listArb, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 12 }), (steps) => {
        const encoder = new ProcessDeltaEncoder();
        const decoder = new ProcessDeltaDecoder();
        for (const [raw, sent, duplicate] of steps) {
          const unique = raw.map((p) => proc(p.pid, p.startTime, p.cpu));
          // Sometimes a racy sample lists the first process twice, an older reading first.
          const list = duplicate && unique.length > 0 ? [{ ...unique[0]!, cpuPercent: 99 }, ...unique] : unique;
          const { decoded } = roundTrip(encoder, decoder, list, sent);
          if (!sent) continue;
          expect(decoded).not.toBeNull();
          expect(byKey(decoded!)).toEqual(byKey(list));
          expect(decoded).toHaveLength(unique.length);
        }
      }),
    );
  });
});
