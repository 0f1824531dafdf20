import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppStore } from '../../../src-renderer/store';
import { mondayBasedHourOfWeek } from '../../../src-renderer/store/history';
import { setClient } from '../../../src-renderer/ipc/client';
import { RequestError } from '../../../src-shared/contract';
import { fixtureProfile } from '../engine-fixture';
import { DEFAULT_RULES_FILE, formatRulesFile, parseRulesFile } from '../../../src-shared/rules';
import { createFakeTransport, type FakeTransport } from '../fake-transport';

const DEFAULT_TEXT = formatRulesFile(DEFAULT_RULES_FILE);

let transport: FakeTransport;
let savedText: string;
beforeEach(() => {
  savedText = DEFAULT_TEXT;
  transport = createFakeTransport({
    'rules.get': () => ({ text: savedText, defaultText: DEFAULT_TEXT }),
    'rules.set': ({ text }) => {
      const parsed = parseRulesFile(text);
      if (!parsed.ok) return { ok: false, ...parsed.error };
      savedText = text;
      return { ok: true, rules: parsed.value.rules.length, profiles: parsed.value.profiles.length };
    },
    'history.top': () => [{ programId: '/usr/bin/node', cpuSeconds: 120, rssMaxBytes: 3e8, ioBytes: 1e6, runningMs: 3_600_000 }],
    'history.program': () => ({ tierMs: 10_000, rows: [{ tierMs: 10_000, bucketMs: 1000, samples: 10, cpuPercentMean: 12, rssBytesMean: 1e8 }] }),
    'history.hourOfWeek': () => Array.from({ length: 168 }, (_, i) => i),
    'profiles.get': ({ programId }) => fixtureProfile(programId),
  });
  setClient(transport);
});
afterEach(() => setClient(undefined));

describe('rules slice', () => {
  it('loads, keeps unsaved edits on reload, saves, and shows a refusal with the line without changing the file', async () => {
    const store = createAppStore();
    await store.getState().loadRules();
    expect(store.getState().rulesText).toBe(DEFAULT_TEXT);
    const broken = DEFAULT_TEXT.replace('"activeProfile": "balanced"', '"activeProfile": "nope"');
    store.getState().setRulesText(broken);
    await store.getState().loadRules();
    expect(store.getState().rulesText).toBe(broken);
    const refused = await store.getState().saveRules();
    expect(refused.ok).toBe(false);
    expect(refused).toMatchObject({ line: 3, message: 'unknown profile "nope"' });
    expect(savedText).toBe(DEFAULT_TEXT);
    expect(store.getState().rulesSavedText).toBe(DEFAULT_TEXT);
    const good = DEFAULT_TEXT.replace('"activeProfile": "balanced"', '"activeProfile": "quiet"');
    store.getState().setRulesText(good);
    expect((await store.getState().saveRules()).ok).toBe(true);
    expect(savedText).toBe(good);
    expect(store.getState().rulesSavedText).toBe(good);
    store.getState().resetRulesToDefault();
    expect(store.getState().rulesText).toBe(DEFAULT_TEXT);
  });

  it('a forbidden save says the operator role is needed', async () => {
    transport.handlers['rules.set'] = () => {
      throw new RequestError({ code: 'forbidden', message: 'rules.set needs the operator role' });
    };
    const store = createAppStore();
    await store.getState().loadRules();
    store.getState().setRulesText(DEFAULT_TEXT + ' ');
    const outcome = await store.getState().saveRules();
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/operator role/) });
  });

  it('adds a rule for a program to the file in force', async () => {
    const store = createAppStore();
    const result = await store.getState().addRuleForProgram({ name: 'node' }, { nice: 5 });
    expect(result.ok).toBe(true);
    const parsed = parseRulesFile(savedText);
    expect(parsed.ok && parsed.value.rules[0]).toMatchObject({ id: 'user-node', match: { name: 'node' }, action: { nice: 5 } });
  });
});

describe('history slice', () => {
  it('normalises the Sunday-based hour of week to Monday-based', () => {
    const sunday = Array.from({ length: 168 }, (_, i) => i);
    const monday = mondayBasedHourOfWeek(sunday);
    expect(monday[0]).toBe(24); // Monday 00:00 was index 24 (day 1)
    expect(monday[6 * 24 + 5]).toBe(5); // Sunday 05:00 is last day now
    expect(monday).toHaveLength(168);
  });

  it('loads the top programs and a program with its series, hour of week and profile', async () => {
    const store = createAppStore();
    await store.getState().loadHistoryTop();
    expect(store.getState().historyTop[0]!.programId).toBe('/usr/bin/node');
    await store.getState().selectHistoryProgram('/usr/bin/node');
    const state = store.getState();
    expect(state.programHistory?.rows).toHaveLength(1);
    expect(state.programHourOfWeek![0]).toBe(24);
    expect(state.programProfiles['/usr/bin/node']?.profile?.launches).toBe(12);
    const top = transport.calls.find((c) => c.channel === 'history.top')!.input as { fromMs: number; toMs: number };
    expect(top.toMs - top.fromMs).toBe(86_400_000);
  });

  it('caches profiles and reports a missing one', async () => {
    const store = createAppStore();
    await store.getState().loadProgramProfile('/usr/bin/node');
    await store.getState().loadProgramProfile('/usr/bin/node');
    expect(transport.calls.filter((c) => c.channel === 'profiles.get')).toHaveLength(1);
    transport.handlers['profiles.get'] = () => {
      throw new RequestError({ code: 'invalid-input', message: 'no profile for x' });
    };
    await store.getState().loadProgramProfile('x');
    expect(store.getState().programProfiles['x']?.error).toMatch(/no profile/);
  });

  it('loads system history only for history ranges', async () => {
    transport.handlers['history.system'] = () => ({ tierMs: 60_000, rows: [] });
    const store = createAppStore();
    store.getState().setPerfRange('1m');
    store.getState().setPerfRange('7d');
    await new Promise((resolve) => setTimeout(resolve, 0));
    const calls = transport.calls.filter((c) => c.channel === 'history.system');
    expect(calls).toHaveLength(1);
    const input = calls[0]!.input as { fromMs: number; toMs: number };
    expect(input.toMs - input.fromMs).toBe(7 * 86_400_000);
    expect(store.getState().perfHistory?.tierMs).toBe(60_000);
  });
});
