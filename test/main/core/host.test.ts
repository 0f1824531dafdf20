// The core in its worker thread: the calling thread only relays. Requests round-trip, events
// arrive, the worker has its own event loop (a busy worker does not block this thread), and
// stopping restores and closes cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoreHost, type CoreHost } from '../../../src-main/core/host';
import type { AppInfo, Tick } from '../../../src-shared/contract';

describe('core host (worker thread)', () => {
  let dir: string;
  let host: CoreHost;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-host-'));
    host = startCoreHost(new URL('../../../src-main/core/core-worker.ts', import.meta.url), {
      dataDir: dir,
      runtime: 'node',
      version: '0.0.0-test',
      intervalMs: 250,
      selfPids: [process.pid],
      adminSocketPath: join(dir, 'run', 'admin.sock'),
    });
    await host.ready;
  });
  afterAll(async () => {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays requests and answers from the worker', async () => {
    const info = await host.handle('app.info', {});
    expect(info.ok).toBe(true);
    expect((info as { value: AppInfo }).value).toMatchObject({ pid: process.pid, runtime: 'node', intervalMs: 250 });
    expect(await host.handle('app.info', { bogus: 1 })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await host.handle('nope', {})).toMatchObject({ ok: false, error: { code: 'invalid-channel' } });
  });

  it('answers a payload that cannot cross to the worker with invalid-input, and keeps working', async () => {
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(await host.handle('app.info', deep)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect((await host.handle('app.info', {})).ok).toBe(true);
  });

  it('publishes ticks with live samples that include this process', async () => {
    const tick = await new Promise<Tick>((resolve) => {
      const off = host.on('tick', (payload) => {
        off();
        resolve(payload);
      });
    });
    expect(tick.sample.processes.some((p) => p.pid === process.pid)).toBe(true);
    expect(tick.sample.system.memory.totalBytes).toBeGreaterThan(0);
  });

  it('keeps sampling while this thread is busy, because sampling is not on this thread', async () => {
    let ticks = 0;
    const off = host.on('tick', () => ticks++);
    const before = await host.handle('system.summary', {});
    const spinUntil = Date.now() + 1200;
    while (Date.now() < spinUntil) {
      // block this thread
    }
    // Ticks queued while we were blocked are delivered now; the worker kept producing them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await host.handle('system.summary', {});
    off();
    expect(ticks).toBeGreaterThanOrEqual(2);
    expect((after as { value: { at: number } }).value.at).toBeGreaterThan((before as { value: { at: number } }).value.at);
  });
});
