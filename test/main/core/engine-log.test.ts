// The `engine.log` request through core.handle, as every transport calls it: the engine service
// keeps what its ticks decided (advice, then the same decision once a person applied it, with the
// actuator's result and OS changes), pages it newest first, and refuses bad input with a clear
// error that changes nothing. A core without a kept log says so instead of answering empty.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { SETTINGS_MIGRATIONS, createSettingsStore } from '../../../src-main/store/settings';
import { ENGINE_LOG_MIGRATIONS, EngineLogStore } from '../../../src-main/store/engine-log';
import { ENGINE_MIGRATIONS, createEngineService, type EngineService } from '../../../src-main/core/engine-service';
import { createCore, type Core } from '../../../src-main/core/service';
import type { SampleSource } from '../../../src-main/core/sample-source';
import type { ActuatorSurface } from '../../../src-main/core/pipeline';
import { DEFAULT_RULES_FILE, formatRulesFile } from '../../../src-shared/rules';
import { ACT_CHANNELS } from '../../../src-shared/channels';
import type { EngineLogPage } from '../../../src-shared/report';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';

const T0 = 1_763_700_000_000;

const actuator: ActuatorSurface = {
  apply: async () => ({ kind: 'refused', reason: 'unsupported', message: 'not on this test machine', changeId: null }),
  undo: async () => ({ kind: 'refused', reason: 'invalid', message: 'test', changeId: null }),
  checkExternal: async () => ({ external: [], gone: [] }),
  listChanges: () => [],
  restoreAll: async () => ({ outcomes: [], cleaned: [] }) as never,
};

const source: SampleSource = {
  name: 'fake',
  info: async () => ({ platform: 'linux', hostname: 'h', osRelease: 'r', cpuModel: 'c', logicalCores: 2, totalMemoryBytes: 1 }),
  start: async () => undefined,
  setIntervalMs: () => undefined,
  stop: async () => undefined,
};

/** The built-in rules plus one that lowers processes named "logtarget" (in the active profile). */
const RULES = formatRulesFile({
  ...DEFAULT_RULES_FILE,
  rules: [{ id: 'log-target', enabled: true, match: { name: 'logtarget' }, action: { nice: 7 } }, ...DEFAULT_RULES_FILE.rules],
  profiles: DEFAULT_RULES_FILE.profiles.map((profile) => (Array.isArray(profile.rules) ? { ...profile, rules: ['log-target', ...profile.rules] } : profile)),
});

describe('engine.log through the core', () => {
  let dir: string;
  let db: Db;
  let nowMs: number;
  let engine: EngineService;
  let core: Core;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-engine-log-core-'));
    db = openDb({ path: join(dir, 'a.db'), migrations: [...SETTINGS_MIGRATIONS, ...ENGINE_MIGRATIONS, ...ENGINE_LOG_MIGRATIONS] });
    nowMs = T0;
    const settings = createSettingsStore(db);
    settings.updateSettings({ engine: { mode: 'advise' } });
    engine = createEngineService({ db, settings, actuator, now: () => nowMs, activity: new EngineLogStore(db, { now: () => nowMs }) });
    expect(await engine.setRules(RULES)).toMatchObject({ ok: true });
    core = createCore({ source, runtime: 'node', version: '0.0.0', services: { settings, engine } });
  });
  afterEach(async () => {
    await engine.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = async (input: unknown): Promise<EngineLogPage> => {
    const result = await core.handle('engine.log', input);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value as EngineLogPage;
  };

  it('answers with what earlier ticks decided, and the same decision once applied, newest first', async () => {
    const target = fixtureProcess({ pid: 700, name: 'logtarget', startTime: 55, cmdline: 'logtarget' });
    const report = await engine.step(fixtureSample([target], T0 + 1000));
    const advice = report!.decisions.find((d) => d.decision.target.pid === 700);
    expect(advice?.decision.apply).toBe(false);
    // Idle ticks after it add nothing.
    for (let i = 2; i < 5; i++) {
      nowMs = T0 + i * 1000;
      await engine.step(fixtureSample([{ ...target, cpuPercent: 0 }], nowMs));
    }
    const first = await page({ limit: 10 });
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ kind: 'decision', at: T0 + 1000, decision: { decision: { id: advice!.decision.id, source: 'rule' } } });
    expect(first.next).toBeNull();

    // A person applies the advice: the kept decision now carries the actuator's answer.
    const applied = await core.handle('engine.applyAdvice', { decisionId: advice!.decision.id });
    expect(applied).toMatchObject({ ok: true, value: { kind: 'done' } });
    const after = await page({ limit: 10, kinds: ['decision'] });
    expect(after.items).toHaveLength(1);
    expect(after.items[0]).toMatchObject({ kind: 'decision', decision: { result: { status: 'unsupported' }, changes: [{ kind: 'refused', message: 'not on this test machine' }] } });
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    await engine.step(fixtureSample([fixtureProcess({ pid: 700, name: 'logtarget', startTime: 55 })], T0 + 1000));
    const before = await page({ limit: 1000 });
    for (const [input, message] of [
      [{ limit: 0 }, /invalid input for engine\.log at limit/],
      [{ limit: 1001 }, /invalid input for engine\.log at limit/],
      [{}, /invalid input for engine\.log at limit/],
      [{ limit: 10, beforeAt: -1 }, /at beforeAt/],
      [{ limit: 10, beforeSeq: 4 }, /beforeSeq needs beforeAt/],
      [{ limit: 10, kinds: ['decision', 'nonsense'] }, /at kinds\.1/],
      [{ limit: 10, drop: 'table' }, /invalid input for engine\.log/],
    ] as const) {
      const result = await core.handle('engine.log', input);
      expect(result.ok, JSON.stringify(input)).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('invalid-input');
        expect(result.error.message).toMatch(message);
      }
    }
    expect(await page({ limit: 1000 })).toEqual(before);
  });

  it('is a read: a viewer token may ask for it', () => {
    expect(ACT_CHANNELS.has('engine.log')).toBe(false);
  });

  it('a core whose engine keeps no log says so', async () => {
    const bare = createEngineService({ db, settings: createSettingsStore(db), actuator, now: () => nowMs });
    const other = createCore({ source, runtime: 'node', version: '0.0.0', services: { engine: bare } });
    expect(await other.handle('engine.log', { limit: 5 })).toMatchObject({ ok: false, error: { code: 'not-ready', message: expect.stringMatching(/not kept/) } });
    await bare.close();
  });
});
