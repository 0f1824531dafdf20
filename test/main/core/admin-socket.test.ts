import { describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminRequest, startAdminSocket } from '../../../src-main/core/admin-socket';
import type { CoreLike } from '../../../src-main/core/service';

const calls: Array<{ channel: unknown; actor: string | undefined }> = [];
const core: CoreLike = {
  handle: async (channel, _payload, context) => {
    calls.push({ channel, actor: context?.actor });
    return { ok: true, value: `answer to ${String(channel)}` };
  },
  on: () => () => undefined,
  stop: async () => undefined,
};

describe('admin socket', () => {
  it('answers requests as actor cli, in a 0700 directory with a 0600 socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-admin-'));
    try {
      const path = join(dir, 'run', 'admin.sock');
      const admin = await startAdminSocket(core, path);
      expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await adminRequest(path, 'app.info', {})).toEqual({ ok: true, value: 'answer to app.info' });
      expect(calls.at(-1)).toEqual({ channel: 'app.info', actor: 'cli' });
      await expect(startAdminSocket(core, path)).rejects.toThrow(/already listens/);
      await admin.close();
      await expect(adminRequest(path, 'app.info', {})).rejects.toThrow(/not running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes promptly even with a client connected (exit must not wait for it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-admin-'));
    try {
      const path = join(dir, 'admin.sock');
      chmodSync(dir, 0o700);
      const admin = await startAdminSocket(core, path);
      const idle = createConnection(path);
      idle.on('error', () => undefined);
      await new Promise((resolve) => idle.once('connect', resolve));
      const startedAt = Date.now();
      await admin.close();
      expect(Date.now() - startedAt).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a shared directory instead of chmod-ing it, and never deletes a non-socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-admin-'));
    try {
      const shared = join(dir, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      await expect(startAdminSocket(core, join(shared, 'admin.sock'))).rejects.toThrow(/others cannot open/);
      expect(statSync(shared).mode & 0o7777).toBe(0o1777);
      const own = join(dir, 'own');
      mkdirSync(own, { mode: 0o700 });
      chmodSync(own, 0o700);
      writeFileSync(join(own, 'admin.sock'), 'precious');
      await expect(startAdminSocket(core, join(own, 'admin.sock'))).rejects.toThrow(/not a socket/);
      expect(existsSync(join(own, 'admin.sock'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
