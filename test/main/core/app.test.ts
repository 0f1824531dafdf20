// The composed core on this machine: real collector, real SQLite file, real actuator on a spawned
// process; every request goes through core.handle as it would from the UI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppCore, type AppCore } from '../../../src-main/core/app';
import { niceOf, spawnOrphan, startTimeOf, waitFor } from '../../helpers/proc';

describe('app core', () => {
  let dir: string;
  let app: AppCore;
  let child: ReturnType<typeof spawnOrphan>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-app-'));
    child = spawnOrphan('sleep', ['300']);
    // Advise: a fresh install runs Auto (settings test), which would act on this machine's processes, other tests' included.
    app = await createAppCore({ dataDir: dir, runtime: 'node', version: '0.0.0-test', validateEvents: true, engineMode: 'advise' });
    await app.core.start();
  });
  afterAll(async () => {
    await app?.close();
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every read request with valid data from the live system', async () => {
    const snapshot = await waitFor(async () => {
      const result = await app.core.handle('processes.snapshot', {});
      return result.ok ? (result.value as { processes: Array<{ pid: number }> }) : undefined;
    });
    expect(snapshot.processes.some((p) => p.pid === child.pid)).toBe(true);
    for (const channel of ['app.info', 'system.info', 'system.summary', 'settings.get', 'capabilities.get', 'changes.list', 'audit.list']) {
      const result = await app.core.handle(channel, {});
      expect(result.ok, `${channel}: ${JSON.stringify(result)}`).toBe(true);
    }
  });

  it('applies, lists, audits and undoes a change on a real process', async () => {
    const target = { pid: child.pid, startTime: startTimeOf(child.pid) };
    const before = niceOf(child.pid);
    const applied = await app.core.handle('changes.apply', { target, change: { op: 'priority', value: { nice: before + 5 } }, why: 'test' });
    expect(applied).toMatchObject({ ok: true, value: { result: { kind: 'applied' } } });
    expect(niceOf(child.pid)).toBe(before + 5);
    const changeId = (applied as { value: { changeId: number } }).value.changeId;
    const list = await app.core.handle('changes.list', {});
    expect(list).toMatchObject({ ok: true, value: [{ id: changeId, status: 'applied', why: 'test', actor: 'user' }] });
    const audit = await app.core.handle('audit.list', { limit: 5 });
    expect(audit).toMatchObject({ ok: true, value: { entries: [{ action: 'apply', changeId, result: 'applied' }] } });
    const undone = await app.core.handle('changes.undo', { id: changeId });
    expect(undone).toMatchObject({ ok: true, value: { kind: 'applied' } });
    expect(niceOf(child.pid)).toBe(before);
  });

  it('refuses a stale identity and bad input, changing nothing', async () => {
    const before = niceOf(child.pid);
    const stale = await app.core.handle('changes.apply', {
      target: { pid: child.pid, startTime: startTimeOf(child.pid) + 1 },
      change: { op: 'priority', value: { nice: 10 } },
    });
    expect(stale).toMatchObject({ ok: true, value: { result: { kind: 'refused', reason: 'gone' }, changeId: null } });
    const bad = await app.core.handle('changes.apply', { target: { pid: child.pid, startTime: 1 }, change: { op: 'priority', value: { nice: 99 } } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(niceOf(child.pid)).toBe(before);
    const protectedResult = await app.core.handle('changes.apply', { target: { pid: 1, startTime: startTimeOf(1) }, change: { op: 'priority', value: { nice: 5 } } });
    expect(protectedResult).toMatchObject({ ok: true, value: { result: { kind: 'refused', reason: 'protected' } } });
  });

  it('validates and persists settings', async () => {
    const bad = await app.core.handle('settings.update', { intervalMs: 5 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    const good = await app.core.handle('settings.update', { intervalMs: 500 });
    expect(good).toMatchObject({ ok: true, value: { intervalMs: 500 } });
    expect(app.settings.getSettings().intervalMs).toBe(500);
  });

  it('runs the engine every tick and reports it', async () => {
    const report = await new Promise<{ mode: string; forecasts: { systemCpu: unknown[] } }>((resolve) => {
      const off = app.core.on('engine', (payload) => {
        off();
        resolve(payload);
      });
    });
    expect(report.mode).toBe('advise');
    const state = await app.core.handle('engine.state', {});
    expect(state).toMatchObject({ ok: true, value: { mode: 'advise', effectiveMode: 'advise', pausedUntilMs: null } });
    expect((state as { value: { profiles: unknown[] } }).value.profiles.length).toBeGreaterThan(0);
  });

  it('changes mode, pauses and resumes the engine, persisting the chosen mode', async () => {
    expect(await app.core.handle('engine.setMode', { mode: 'off' })).toMatchObject({ ok: true, value: { mode: 'off', effectiveMode: 'off' } });
    expect(app.settings.getSettings().engine.mode).toBe('off');
    await app.core.handle('engine.setMode', { mode: 'advise' });
    const paused = await app.core.handle('engine.pause', { minutes: 60 });
    expect(paused).toMatchObject({ ok: true, value: { mode: 'advise', effectiveMode: 'off' } });
    expect((paused as { value: { pausedUntilMs: number } }).value.pausedUntilMs).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(await app.core.handle('engine.pause', { minutes: 0 })).toMatchObject({ ok: true, value: { effectiveMode: 'advise', pausedUntilMs: null } });
    expect(await app.core.handle('engine.setProfile', { profileId: 'no-such-profile' })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('refuses an invalid rules file with the line and keeps the old one', async () => {
    const before = await app.core.handle('rules.get', {});
    const text = (before as { value: { text: string } }).value.text;
    const broken = text.replace('"version": 1', '"version": "one"');
    expect(broken).not.toBe(text);
    const refused = await app.core.handle('rules.set', { text: broken });
    expect(refused).toMatchObject({ ok: true, value: { ok: false, path: 'version' } });
    expect((refused as { value: { line: number } }).value.line).toBeGreaterThan(1);
    expect(await app.core.handle('rules.get', {})).toEqual(before);
    expect(await app.core.handle('rules.set', { text })).toMatchObject({ ok: true, value: { ok: true } });
  });

  it('refuses a second core on the same data directory without touching the first one\'s changes', async () => {
    const target = { pid: child.pid, startTime: startTimeOf(child.pid) };
    const before = niceOf(child.pid);
    const applied = await app.core.handle('changes.apply', { target, change: { op: 'priority', value: { nice: before + 2 } } });
    expect(applied).toMatchObject({ ok: true, value: { result: { kind: 'applied' } } });
    await expect(createAppCore({ dataDir: dir, runtime: 'node', version: '0.0.0-test' })).rejects.toThrow(/another Allot instance/);
    expect(niceOf(child.pid)).toBe(before + 2);
    await app.core.handle('changes.undo', { id: (applied as { value: { changeId: number } }).value.changeId });
    expect(niceOf(child.pid)).toBe(before);
  });

  it('restores changes in force when it closes', async () => {
    const target = { pid: child.pid, startTime: startTimeOf(child.pid) };
    const before = niceOf(child.pid);
    await app.core.handle('changes.apply', { target, change: { op: 'priority', value: { nice: before + 3 } } });
    expect(niceOf(child.pid)).toBe(before + 3);
    await app.close();
    expect(niceOf(child.pid)).toBe(before);
  });
});
