// Page-cache warming on the real kernel: a file dropped from the cache is back after prefetch,
// as fincore(1) (util-linux) sees it.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mappedFiles, prefetchFiles, prefetchSupport } from '../../../src-main/platform/prefetch';
import { waitFor } from '../../helpers/proc';

/** Resident bytes of a file in the page cache. */
function residentBytes(path: string): number {
  const out = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return Number(out.trim());
}

describe('prefetch (Linux)', () => {
  it('puts a dropped file back into the page cache', async () => {
    expect(prefetchSupport()).toEqual({ supported: true });
    // On disk (the repository's filesystem), not tmpfs, where pages cannot be dropped.
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    try {
      const file = join(dir, 'program.bin');
      writeFileSync(file, Buffer.alloc(16 * 1024 * 1024, 7));
      execFileSync('sync');
      expect(prefetchFiles([file], Infinity, 'dontneed')).toMatchObject({ kind: 'prefetched', files: 1 });
      await waitFor(() => (residentBytes(file) < 1024 * 1024 ? true : undefined), 5000, 'the file to leave the cache');
      const result = prefetchFiles([file, join(dir, 'missing'), dir], 64 * 1024 * 1024);
      expect(result).toMatchObject({ kind: 'prefetched', files: 1, bytes: 16 * 1024 * 1024 });
      if (result.kind === 'prefetched') {
        expect(result.skipped.map((entry) => entry.reason).sort()).toEqual(['ENOENT', 'not a regular file']);
      }
      await waitFor(() => (residentBytes(file) >= 15 * 1024 * 1024 ? true : undefined), 5000, 'the file to be read ahead');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never opens a FIFO, a symlink, a pseudo-file or a replaced file (and does not block)', () => {
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    try {
      const fifo = join(dir, 'lib.so');
      execFileSync('mkfifo', [fifo]);
      const real = join(dir, 'real.so');
      writeFileSync(real, Buffer.alloc(4096));
      const link = join(dir, 'link.so');
      symlinkSync('/dev/zero', link);
      const result = prefetchFiles(
        [fifo, link, '/proc/self/status', { path: real, inode: statSync(real).ino + 1 }, { path: real, inode: statSync(real).ino }],
        Infinity,
      );
      expect(result).toMatchObject({ kind: 'prefetched', files: 0 });
      if (result.kind === 'prefetched') {
        expect(result.skipped.map((entry) => entry.reason)).toEqual([
          'not a regular file',
          'not a regular file',
          'not a file Allot opens',
          'replaced since the program mapped it',
        ]);
      }
      // The same path with its own inode is prefetched (the duplicate entry above was skipped as seen).
      expect(prefetchFiles([{ path: real, inode: statSync(real).ino }], Infinity)).toMatchObject({ files: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('respects the budget', () => {
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    try {
      const file = join(dir, 'big.bin');
      writeFileSync(file, Buffer.alloc(1024 * 1024));
      const result = prefetchFiles([file], 1000);
      expect(result).toMatchObject({ kind: 'prefetched', files: 0, bytes: 0, skipped: [{ path: file, reason: 'over the prefetch budget' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the files a process mapped, without devices, anonymous or deleted mappings', () => {
    const maps = [
      '55d0c0a00000-55d0c0a20000 r--p 00000000 fd:01 1234  /usr/bin/editor',
      '7f0000000000-7f0000020000 r-xp 00000000 fd:01 5678  /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f0000030000-7f0000040000 rw-p 00000000 00:00 0 ',
      '7f0000050000-7f0000060000 rw-s 00000000 00:05 99   /dev/dri/card0',
      '7f0000070000-7f0000080000 r--p 00000000 fd:01 777  /tmp/old.so (deleted)',
      '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]',
      '55d0c0a20000-55d0c0a40000 r-xp 00020000 fd:01 1234  /usr/bin/editor',
    ].join('\n');
    expect(mappedFiles(maps)).toEqual([
      { path: '/usr/bin/editor', inode: 1234 },
      { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', inode: 5678 },
    ]);
    expect(mappedFiles(readFileSync('/proc/self/maps', 'utf8')).map((file) => file.path)).toContain(process.execPath);
  });
});
