// Every action is audited, not only actions on processes: settings, rules, engine mode, pause and
// profile each leave one row with the actor and the value before and after (issue 11 §5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppCore, type AppCore } from '../../../src-main/core/app';
import type { AuditEntry } from '../../../src-shared/actions';
import { settingsDiff, describeRulesText } from '../../../src-main/core/audit-config';
import { DEFAULT_SETTINGS } from '../../../src-shared/settings';

describe('audit of actions on Allot itself', () => {
  let dir: string;
  let app: AppCore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-audit-config-'));
    app = await createAppCore({ dataDir: dir, runtime: 'node', version: '0.0.0-test', validateEvents: true });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const newest = async (): Promise<AuditEntry> => {
    const page = await app.core.handle('audit.list', { limit: 1 });
    expect(page.ok).toBe(true);
    return (page as { value: { entries: AuditEntry[] } }).value.entries[0]!;
  };

  it('records a settings change with its actor and only the changed keys before and after', async () => {
    const result = await app.core.handle('settings.update', { agent: { port: 7555 }, intervalMs: 2000 }, { actor: 'agent:ops desk' });
    expect(result.ok).toBe(true);
    const entry = await newest();
    expect(entry).toMatchObject({ actor: 'agent:ops desk', action: 'settings', result: 'applied', op: null, target: null });
    expect(JSON.parse(entry.beforeValue!)).toEqual({ intervalMs: 1000, agent: { ...DEFAULT_SETTINGS.agent } });
    expect(JSON.parse(entry.afterValue!)).toEqual({ intervalMs: 2000, agent: { ...DEFAULT_SETTINGS.agent, port: 7555 } });
    expect(entry.why).toMatch(/agent/);
    // Metrics access: another key, another row.
    await app.core.handle('settings.update', { agent: { metricsAccess: 'loopback' } }, { actor: 'user' });
    expect(await newest()).toMatchObject({ actor: 'user', action: 'settings', afterValue: expect.stringContaining('"metricsAccess":"loopback"') });
  });

  it('records engine mode, pause and profile with before and after, from the tray and the CLI', async () => {
    const initial = (await app.core.handle('engine.state', {})) as { value: { mode: string } };
    const wanted = initial.value.mode === 'off' ? 'advise' : 'off';
    const mode = await app.core.handle('engine.setMode', { mode: wanted }, { actor: 'tray' });
    expect(mode.ok).toBe(true);
    expect(await newest()).toMatchObject({ actor: 'tray', action: 'mode', beforeValue: initial.value.mode, afterValue: wanted, result: 'applied' });
    await app.core.handle('engine.pause', { minutes: 15 }, { actor: 'cli' });
    const paused = await newest();
    expect(paused).toMatchObject({ actor: 'cli', action: 'pause', beforeValue: 'running', why: 'engine paused for 15 min' });
    expect(paused.afterValue).toMatch(/^paused until \d{4}-/);
    const state = await app.core.handle('engine.state', {});
    const other = (state as { value: { profiles: Array<{ id: string }>; profileId: string } }).value;
    const next = other.profiles.find((profile) => profile.id !== other.profileId)!.id;
    await app.core.handle('engine.setProfile', { profileId: next }, { actor: 'user' });
    expect(await newest()).toMatchObject({ actor: 'user', action: 'profile', beforeValue: other.profileId, afterValue: next });
  });

  it('records saved rules as a summary, and refused rules and settings as refused, changing nothing', async () => {
    const rules = await app.core.handle('rules.get', {});
    const text = (rules as { value: { text: string } }).value.text;
    const saved = await app.core.handle('rules.set', { text }, { actor: 'user' });
    expect(saved).toMatchObject({ ok: true, value: { ok: true } });
    expect(await newest()).toMatchObject({ action: 'rules', result: 'applied', afterValue: describeRulesText(text) });
    const countBefore = app.actuator.audit.count();
    const refused = await app.core.handle('rules.set', { text: '{ not json' }, { actor: 'user' });
    expect(refused).toMatchObject({ ok: true, value: { ok: false } });
    expect(await newest()).toMatchObject({ action: 'rules', result: 'refused', beforeValue: describeRulesText(text), afterValue: describeRulesText(text) });
    expect(app.actuator.audit.count()).toBe(countBefore + 1);
    const settingsBefore = app.settings.getSettings();
    const badSettings = await app.core.handle('settings.update', { intervalMs: 5 }, { actor: 'agent:ops desk' });
    expect(badSettings.ok).toBe(false);
    expect(app.settings.getSettings()).toEqual(settingsBefore);
    expect(await newest()).toMatchObject({ actor: 'agent:ops desk', action: 'settings', result: 'refused', message: expect.stringMatching(/interval/i) });
    expect(app.actuator.audit.count()).toBe(countBefore + 2);
  });

  it('writes no row for a settings update that changes nothing', async () => {
    const countBefore = app.actuator.audit.count();
    const current = await app.core.handle('settings.get', {});
    const intervalMs = (current as { value: { intervalMs: number } }).value.intervalMs;
    await app.core.handle('settings.update', { intervalMs }, { actor: 'user' });
    expect(app.actuator.audit.count()).toBe(countBefore);
  });

  it('diffs settings by top-level key', () => {
    expect(settingsDiff(DEFAULT_SETTINGS, DEFAULT_SETTINGS)).toBeUndefined();
    expect(settingsDiff(DEFAULT_SETTINGS, { ...DEFAULT_SETTINGS, theme: 'dark' })).toEqual({ before: JSON.stringify({ theme: DEFAULT_SETTINGS.theme }), after: '{"theme":"dark"}' });
  });
});
