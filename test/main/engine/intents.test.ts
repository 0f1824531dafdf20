// Engine intents -> OS changes, and OS results -> engine results.
import { describe, expect, it } from 'vitest';
import { ChangeSchema as OsChangeSchema } from '../../../src-shared/actions';
import { TIER_DEFAULTS, TIERS } from '../../../src-shared/engine';
import { intentToChanges, niceToCgroupWeight, niceWeight, statusOfRefusal, toEngineResult } from '../../../src-main/engine/intents';

describe('intentToChanges', () => {
  it('maps nice to priority', () => {
    expect(intentToChanges({ op: 'nice', value: 10 })).toEqual({ ok: true, changes: [{ op: 'priority', value: { nice: 10 } }] });
  });

  it('maps every tier to its nice and I/O priority', () => {
    for (const tier of TIERS) {
      const t = TIER_DEFAULTS[tier];
      const r = intentToChanges({ op: 'tier', value: tier });
      expect(r).toEqual({ ok: true, changes: [{ op: 'priority', value: { nice: t.nice } }, { op: 'ioPriority', value: { ioClass: t.ioClass, level: t.ioLevel } }] });
      if (r.ok) for (const c of r.changes) expect(OsChangeSchema.safeParse(c).success).toBe(true);
    }
  });

  it('maps caps, limits, affinity and I/O priority, and null removes a limit', () => {
    expect(intentToChanges({ op: 'cpuCap', value: 150 })).toEqual({ ok: true, changes: [{ op: 'cpuCap', value: { percentOfOneCore: 150 } }] });
    expect(intentToChanges({ op: 'cpuCap', value: null })).toEqual({ ok: true, changes: [{ op: 'cpuCap', value: { percentOfOneCore: null } }] });
    expect(intentToChanges({ op: 'memoryLimit', value: 1048576.4 })).toEqual({ ok: true, changes: [{ op: 'memoryLimit', value: { softLimitBytes: 1048576 } }] });
    expect(intentToChanges({ op: 'memoryLimit', value: null })).toEqual({ ok: true, changes: [{ op: 'memoryLimit', value: { softLimitBytes: null } }] });
    expect(intentToChanges({ op: 'affinity', value: [3, 1, 1] })).toEqual({ ok: true, changes: [{ op: 'affinity', value: { cpus: [1, 3] } }] });
    expect(intentToChanges({ op: 'ioPriority', value: { class: 'idle', level: 7 } })).toEqual({ ok: true, changes: [{ op: 'ioPriority', value: { ioClass: 'idle', level: 7 } }] });
  });

  it('refuses values the OS schema would refuse, with a reason', () => {
    for (const bad of [
      { op: 'affinity', value: [] },
      { op: 'cpuCap', value: 0.5 },
      { op: 'memoryLimit', value: 100 },
      { op: 'nice', value: 25 },
    ] as const) {
      const r = intentToChanges(bad as never);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(5);
    }
  });

  it('adds a cross-session cgroup weight matching the nice when asked', () => {
    expect(niceWeight(0)).toBe(1024);
    expect(niceWeight(10)).toBe(110);
    expect(niceToCgroupWeight(0)).toBe(100);
    expect(niceToCgroupWeight(10)).toBe(11);
    expect(intentToChanges({ op: 'nice', value: 10 }, { crossSessionWeight: true })).toEqual({ ok: true, changes: [{ op: 'priority', value: { nice: 10 } }, { op: 'cpuWeight', value: { weight: 11 } }] });
    expect(intentToChanges({ op: 'nice', value: 0 }, { crossSessionWeight: true })).toEqual({ ok: true, changes: [{ op: 'priority', value: { nice: 0 } }, { op: 'cpuWeight', value: { weight: null } }] });
  });
});

describe('toEngineResult', () => {
  const prio = { op: 'priority', value: { nice: 19 } } as const;
  const io = { op: 'ioPriority', value: { ioClass: 'idle', level: 7 } } as const;

  it('the first change decides; the others are in the message', () => {
    const r = toEngineResult('d1', 5, [prio, io], [{ kind: 'applied' }, { kind: 'refused', reason: 'unsupported', message: 'no ioprio' }]);
    expect(r).toMatchObject({ decisionId: 'd1', at: 5, status: 'applied' });
    expect(r.message).toContain('ioPriority unsupported: no ioprio');
    expect(toEngineResult('d2', 5, [prio], [{ kind: 'applied' }])).toEqual({ decisionId: 'd2', at: 5, status: 'applied' });
  });

  it('maps refusals to engine statuses', () => {
    expect(toEngineResult('d', 1, [prio], [{ kind: 'refused', reason: 'gone', message: 'exited' }]).status).toBe('gone');
    expect(statusOfRefusal('permission')).toBe('failed');
    expect(statusOfRefusal('protected')).toBe('skipped');
    expect(statusOfRefusal('external')).toBe('skipped');
    expect(statusOfRefusal('unsupported')).toBe('unsupported');
    expect(toEngineResult('d', 1, [], []).status).toBe('failed');
  });
});
