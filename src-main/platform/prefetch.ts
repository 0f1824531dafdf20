// Page-cache warming for programs predicted to start (seed 002's "pre-fetching data"): the files a
// program mapped when it last ran (its executable and shared libraries) are handed to the kernel's
// read-ahead before the user launches it, so the launch does not wait on the disk.
// Linux: posix_fadvise(POSIX_FADV_WILLNEED) through koffi: asynchronous read-ahead done by the
// kernel at its own pace, no copying into this process, nothing pinned (the cache may drop it again
// under pressure). Other OSes: reported unsupported with the reason.
import { closeSync, constants, fstatSync, lstatSync, openSync } from 'node:fs';
import { loadLibc } from '../native/libc.linux';

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
    const libc = loadLibc();
    if (!libc) return (fadvise = null);
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

/** A file a program mapped: its path and the inode it had then (a replaced file is not the same file). */
export interface MappedFile {
  path: string;
  inode?: number;
}

/** Paths that are never opened: pseudo-filesystems where opening can have effects or block. */
const NEVER_OPEN = ['/dev/', '/proc/', '/sys/', '/run/'];

/** Open without side effects: read-only, never following a symlink, never blocking (FIFOs), never a controlling tty. */
const SAFE_OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Ask the kernel to read `files` into the page cache, first come first served: files beyond
 * `budgetBytes` are skipped. Only regular files that are still the inode the program mapped are
 * touched; a path now pointing elsewhere (a symlink, a FIFO, a device, a replaced file) is skipped
 * before it is opened or right after. Nothing is written. Never throws.
 */
export function prefetchFiles(files: ReadonlyArray<string | MappedFile>, budgetBytes: number, advice: 'willneed' | 'dontneed' = 'willneed'): PrefetchResult {
  const support = prefetchSupport();
  if (!support.supported) return { kind: 'unsupported', reason: support.reason };
  const advise = loadFadvise()!;
  let bytes = 0;
  let done = 0;
  const skipped: Array<{ path: string; reason: string }> = [];
  const seen = new Set<string>();
  for (const entry of files) {
    const { path, inode } = typeof entry === 'string' ? { path: entry, inode: undefined } : entry;
    if (seen.has(path)) continue;
    seen.add(path);
    if (!path.startsWith('/') || NEVER_OPEN.some((prefix) => path.startsWith(prefix))) {
      skipped.push({ path, reason: 'not a file Allot opens' });
      continue;
    }
    let fd: number | undefined;
    try {
      if (!lstatSync(path).isFile()) {
        skipped.push({ path, reason: 'not a regular file' });
        continue;
      }
      fd = openSync(path, SAFE_OPEN_FLAGS);
      const info = fstatSync(fd);
      if (!info.isFile()) {
        skipped.push({ path, reason: 'not a regular file' });
        continue;
      }
      if (inode !== undefined && info.ino !== inode) {
        skipped.push({ path, reason: 'replaced since the program mapped it' });
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
      done++;
    } catch (error) {
      skipped.push({ path, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return { kind: 'prefetched', files: done, bytes, skipped };
}

/** File-backed mappings of a running process (/proc/PID/maps): what its next launch will read. */
export function mappedFiles(mapsText: string, limit = 64): MappedFile[] {
  const files = new Map<string, MappedFile>();
  for (const line of mapsText.split('\n')) {
    // address perms offset dev inode pathname
    const match = /^\S+\s+\S+\s+\S+\s+\S+\s+(\d+)\s+(\/.*)$/.exec(line);
    if (!match || match[1] === '0') continue;
    const path = match[2]!;
    if (path.endsWith(' (deleted)') || NEVER_OPEN.some((prefix) => path.startsWith(prefix)) || path.startsWith('/memfd:') || path.startsWith('/SYSV')) continue;
    if (!files.has(path)) files.set(path, { path, inode: Number(match[1]) });
    if (files.size >= limit) break;
  }
  return [...files.values()];
}
