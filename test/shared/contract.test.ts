import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  parseEvent,
  parseRequest,
  parseResponse,
  requestChannels,
  requests,
  eventChannels,
  WsClientMessageSchema,
} from '../../src-shared/contract';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../../src-shared/channels';
import { LIMITS } from '../../src-shared/domain';
import { fixtureProcess, fixtureSample } from '../helpers/sample-fixture';

describe('contract', () => {
  it('lists the same channels as the schema-free channel list the preload uses', () => {
    expect([...requestChannels].sort()).toEqual([...REQUEST_CHANNELS].sort());
    expect([...eventChannels].sort()).toEqual([...EVENT_CHANNELS].sort());
  });

  it('round-trips valid payloads unchanged', () => {
    const sample = fixtureSample([fixtureProcess(), fixtureProcess({ pid: 7, name: 'a (b) c', affinity: [0, 1] })]);
    const tick = { seq: 3, sample };
    const parsed = parseEvent('tick', JSON.parse(JSON.stringify(tick)));
    expect(parsed).toEqual({ ok: true, value: tick });
    const snapshot = { at: sample.at, processes: sample.processes };
    expect(parseResponse('processes.snapshot', snapshot)).toEqual({ ok: true, value: snapshot });
    for (const channel of ['app.info', 'system.info', 'system.summary', 'processes.snapshot'] as const) {
      expect(parseRequest(channel, {})).toEqual({ ok: true, value: { channel, input: {} } });
    }
    const apply = { target: { pid: 10, startTime: 5 }, change: { op: 'priority', value: { nice: 5 } }, why: 'test' };
    expect(parseRequest('changes.apply', JSON.parse(JSON.stringify(apply)))).toEqual({ ok: true, value: { channel: 'changes.apply', input: apply } });
  });

  it('rejects an unknown channel with a typed error', () => {
    const result = parseRequest('processes.kill-everything', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('invalid-channel');
    // Inherited object keys are not channels.
    expect(parseRequest('constructor', {}).ok).toBe(false);
    expect(parseRequest('__proto__', {}).ok).toBe(false);
  });

  it('rejects extra keys, wrong types and __proto__ keys in request inputs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...requestChannels),
        fc.oneof(
          // Keys no channel defines (every input schema is strict).
          fc.dictionary(fc.string({ minLength: 1 }).map((key) => `x-${key}`), fc.jsonValue(), { minKeys: 1 }),
          fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue())),
        ),
        (channel, payload) => {
          const result = parseRequest(channel, payload);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.code).toBe('invalid-input');
        },
      ),
    );
    const proto = JSON.parse('{"__proto__": {"polluted": true}}');
    const result = parseRequest('app.info', proto);
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects malformed samples: wrong types, extra keys, __proto__, huge arrays', () => {
    const good = fixtureProcess();
    const mutations = fc.oneof(
      fc.record({ key: fc.constantFrom(...Object.keys(good)), value: fc.oneof(fc.string(), fc.constant(null), fc.object(), fc.constant(-1e309)) }).map(
        ({ key, value }) => ({ ...good, [key]: typeof good[key as keyof typeof good] === 'string' && typeof value === 'string' ? 42 : value }),
      ),
      fc.string({ minLength: 1 }).filter((key) => !(key in good)).map((key) => ({ ...good, [key]: 1 })),
      fc.constant(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(good).slice(1)}`)),
    );
    fc.assert(
      fc.property(mutations, (bad) => {
        const result = parseEvent('tick', { seq: 1, sample: fixtureSample([bad as never]) });
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe('invalid-output');
          expect(result.error.message).toMatch(/invalid payload for event tick/);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses arrays over the limits', () => {
    const tooMany = new Array(LIMITS.maxCores + 1).fill(0).map((_, core) => ({ core, cpuPercent: 1 }));
    const sample = fixtureSample();
    const result = parseEvent('tick', { seq: 1, sample: { ...sample, system: { ...sample.system, cores: tooMany } } });
    expect(result.ok).toBe(false);
  });

  it('every request channel has input and output schemas', () => {
    for (const channel of requestChannels) {
      expect(typeof requests[channel].input.safeParse, channel).toBe('function');
      expect(requests[channel].output.safeParse(undefined).success, channel).toBe(false);
    }
  });

  it('refuses out-of-range values in action requests', () => {
    const target = { pid: 10, startTime: 5 };
    const bad = [
      { target, change: { op: 'priority', value: { nice: -21 } } },
      { target, change: { op: 'affinity', value: { cpus: [] } } },
      { target, change: { op: 'ioPriority', value: { ioClass: 'best-effort', level: 8 } } },
      { target, change: { op: 'nuke', value: {} } },
      { target: { pid: 0, startTime: 5 }, change: { op: 'priority', value: { nice: 1 } } },
      { target, change: { op: 'priority', value: { nice: 1 } }, durationMs: 5 },
    ];
    for (const payload of bad) expect(parseRequest('changes.apply', payload).ok, JSON.stringify(payload)).toBe(false);
  });

  it('validates WebSocket client frames', () => {
    expect(WsClientMessageSchema.safeParse({ type: 'request', id: 1, channel: 'app.info', payload: {} }).success).toBe(true);
    expect(WsClientMessageSchema.safeParse({ type: 'request', id: -1, channel: 'app.info' }).success).toBe(false);
    expect(WsClientMessageSchema.safeParse({ type: 'request', id: 1, channel: 'x'.repeat(200) }).success).toBe(false);
    expect(WsClientMessageSchema.safeParse({ type: 'request', id: 1, channel: 'app.info', extra: 1 }).success).toBe(false);
  });
});
