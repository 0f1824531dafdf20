// Page-cache warming for programs predicted to start (seed 002's "pre-fetching data"): the files a
// program mapped when it last ran (its executable and shared libraries) are handed to the kernel's
// read-ahead before the user launches it, so the launch does not wait on the disk.
// Linux: posix_fadvise(POSIX_FADV_WILLNEED) through koffi: asynchronous read-ahead done by the
// kernel at its own pace, no copying into this process, nothing pinned (the cache may drop it again
// under pressure). Other OSes: reported unsupported with the reason.
import { closeSync, openSync, fstatSync } from 'node:fs';
import koffi from 'koffi';

export type PrefetchResult =
  | { kind: 'prefetched'; files: number; bytes: number; skipped: Array<{ path: string; reason: string }> }
  | { kind: 'unsupported'; reason: string };

const POSIX_FADV_WILLNEED = 3;
const POSIX_FADV_DONTNEED = 4;
/** The kernel caps one WILLNEED's read-ahead (measured here: 8 of 16 MiB); advising in chunks covers it all. */
const ADVICE_CHUNK_BYTES = 4 * 1024 * 1024;

type Fadvise = (fd: number, offset: number, length: number, advice: number) => number;
let fadvise: Fadvise | null | undefined;

function loadFadvise(): Fadvise | null {
  if (fadvise !== undefined) return fadvise;
  try {
    const libc = koffi.load('libc.so.6');
    const fn = libc.func('int posix_fadvise(int fd, int64_t offset, int64_t len, int advice)');
    fadvise = (fd, offset, length, advice) => fn(fd, offset, length, advice) as number;
  } catch {
    fadvise = null;
  }
  return fadvise;
}

export function prefetchSupport(platform: NodeJS.Platform = process.platform): { supported: true } | { supported: false; reason: string } {
  if (platform !== 'linux') {
    return { supported: false, reason: `warming the page cache for predicted launches is implemented for Linux only (posix_fadvise); not on ${platform}` };
  }
  return loadFadvise() ? { supported: true } : { supported: false, reason: 'posix_fadvise is not available (libc could not be loaded)' };
}

/**
 * Ask the kernel to read `paths` into the page cache, largest budget first-come: files beyond
 * `budgetBytes` are skipped. Only regular files are touched; nothing is written. Never throws.
 */
export function prefetchFiles(paths: readonly string[], budgetBytes: number, advice: 'willneed' | 'dontneed' = 'willneed'): PrefetchResult {
  const support = prefetchSupport();
  if (!support.supported) return { kind: 'unsupported', reason: support.reason };
  const advise = loadFadvise()!;
  let bytes = 0;
  let files = 0;
  const skipped: Array<{ path: string; reason: string }> = [];
  for (const path of new Set(paths)) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const info = fstatSync(fd);
      if (!info.isFile()) {
        skipped.push({ path, reason: 'not a regular file' });
        continue;
      }
      if (advice === 'willneed' && bytes + info.size > budgetBytes) {
        skipped.push({ path, reason: 'over the prefetch budget' });
        continue;
      }
      let rc = 0;
      if (advice === 'dontneed') rc = advise(fd, 0, 0, POSIX_FADV_DONTNEED);
      else for (let offset = 0; offset < info.size && rc === 0; offset += ADVICE_CHUNK_BYTES) rc = advise(fd, offset, ADVICE_CHUNK_BYTES, POSIX_FADV_WILLNEED);
      if (rc !== 0) {
        skipped.push({ path, reason: `posix_fadvise failed (error ${rc})` });
        continue;
      }
      bytes += info.size;
      files++;
    } catch (error) {
      skipped.push({ path, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return { kind: 'prefetched', files, bytes, skipped };
}

/** File-backed mappings of a running process (/proc/PID/maps): what its next launch will read. */
export function mappedFiles(mapsText: string, limit = 64): string[] {
  const files = new Set<string>();
  for (const line of mapsText.split('\n')) {
    // address perms offset dev inode pathname
    const match = /^\S+\s+\S+\s+\S+\s+\S+\s+(\d+)\s+(\/.*)$/.exec(line);
    if (!match || match[1] === '0') continue;
    const path = match[2]!;
    if (path.endsWith(' (deleted)') || path.startsWith('/dev/') || path.startsWith('/memfd:') || path.startsWith('/SYSV')) continue;
    files.add(path);
    if (files.size >= limit) break;
  }
  return [...files];
}
