import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireInstanceLock } from '../../../src-main/core/instance-lock';

describe('instance lock', () => {
  it('refuses a second instance on the same data directory and names the first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-lock-'));
    try {
      const lock = acquireInstanceLock(dir);
      // Another live process (our parent) holding it: refused.
      writeFileSync(join(dir, 'allot.lock'), `${process.ppid}\n`);
      expect(() => acquireInstanceLock(dir)).toThrow(new RegExp(`pid ${process.ppid}`));
      lock.release();
      // The file now names someone else; release must not delete another instance's lock.
      expect(existsSync(join(dir, 'allot.lock'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a stale lock whose owner is gone, and releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-lock-'));
    try {
      const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
      writeFileSync(join(dir, 'allot.lock'), `${dead}\n`);
      const lock = acquireInstanceLock(dir);
      expect(existsSync(lock.path)).toBe(true);
      lock.release();
      expect(existsSync(lock.path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
