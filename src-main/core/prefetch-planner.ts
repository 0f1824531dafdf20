// Prefetch: warm the page cache for programs likely to start within 5 minutes. The planner learns
// the files each program maps while it runs (/proc/PID/maps, read once per process), and once a
// minute reads ahead the files of programs that are not running, not excluded, not prefetched in the
// last 30 minutes and likely enough to start, most likely first, within a read budget. Each prefetch
// is audited. Linux only (posix_fadvise through platform/prefetch); elsewhere it says why not.
import { readFileSync } from 'node:fs';
import type { Sample } from '../../src-shared/domain';
import type { EngineStateView } from '../../src-shared/contract';
import { processKey, programKey } from '../../src-shared/identity';
import { mappedFiles, prefetchFiles, prefetchSupport } from '../platform/prefetch';
import type { AuditLog } from '../store/audit';
import type { ProgramFiles } from './engine-store';

/** How often the planner looks, how much it may read per look, and how soon it repeats. */
export const PREFETCH_EVERY_MS = 60_000;
export const PREFETCH_BUDGET_BYTES = 256 * 1024 * 1024;
export const PREFETCH_REPEAT_MS = 30 * 60_000;
const MAX_PROGRAM_FILES = 500;

export interface PrefetchCandidate {
  programId: string;
  entry: ProgramFiles;
  probability: number;
}

/** Which programs to prefetch now, most likely first. Pure. */
export function planPrefetch(input: {
  atMs: number;
  programFiles: ReadonlyMap<string, ProgramFiles>;
  running: ReadonlySet<string>;
  /** Program ids and names the user excluded. */
  excluded: ReadonlySet<string>;
  lastPrefetchAt: ReadonlyMap<string, number>;
  threshold: number;
  probabilityOf: (programId: string) => number;
}): PrefetchCandidate[] {
  const { atMs, running, excluded, lastPrefetchAt } = input;
  return [...input.programFiles]
    .filter(([programId, entry]) => !running.has(programId) && !excluded.has(programId) && !excluded.has(entry.name))
    .filter(([programId]) => atMs - (lastPrefetchAt.get(programId) ?? 0) >= PREFETCH_REPEAT_MS)
    .map(([programId, entry]) => ({ programId, entry, probability: input.probabilityOf(programId) }))
    .filter((candidate) => candidate.probability >= input.threshold)
    .sort((a, b) => b.probability - a.probability);
}

export interface PrefetchPlannerOptions {
  /** Learned files per program; the caller's map, persisted with the profiles. */
  programFiles: Map<string, ProgramFiles>;
  /** Probability that a program starts within 5 minutes. */
  within5MinP: (programId: string) => number;
  excludedPrograms: () => readonly string[];
  /** Launch probability at which a program's files are prefetched. */
  threshold: number;
  /** Reads /proc/PID/maps; undefined when unreadable. */
  readMaps?: (pid: number) => string | undefined;
  audit?: AuditLog;
}

export function createPrefetchPlanner(options: PrefetchPlannerOptions) {
  const { programFiles } = options;
  const support = prefetchSupport();
  const readMaps = options.readMaps ?? ((pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      return undefined;
    }
  });
  const lastPrefetchAt = new Map<string, number>();
  /** Processes whose maps were read (or could not be), so each is read at most once. */
  const mapsTried = new Set<string>();
  const recentPrefetches: EngineStateView['prefetch']['recent'] = [];
  let lastPrefetchRoundMs = 0;

  /** Learn the files of programs seen running for a couple of seconds (the loader has mapped its libraries). */
  const learnFiles = (sample: Sample): void => {
    if (!support.supported) return;
    for (let i = 0; i < sample.processes.length; i++) {
      const process = sample.processes[i]!;
      const programId = programKey(process);
      if (process.kernelThread || programFiles.has(programId) || !programId.startsWith('/')) continue;
      if (sample.at - process.startedAtMs < 2000) continue;
      if (programFiles.size >= MAX_PROGRAM_FILES) return;
      const identity = processKey(process);
      if (mapsTried.has(identity)) continue;
      if (mapsTried.size >= 10_000) mapsTried.clear();
      mapsTried.add(identity);
      const maps = readMaps(process.pid);
      if (maps === undefined) continue;
      const files = mappedFiles(maps);
      if (files.length > 0) programFiles.set(programId, { name: process.name, files });
    }
  };

  /** Once a minute: prefetch what planPrefetch picks, within the budget, and audit each. */
  const round = (sample: Sample): void => {
    if (!support.supported || sample.at - lastPrefetchRoundMs < PREFETCH_EVERY_MS) return;
    lastPrefetchRoundMs = sample.at;
    let budget = PREFETCH_BUDGET_BYTES;
    const candidates = planPrefetch({
      atMs: sample.at,
      programFiles,
      running: new Set(sample.processes.map(programKey)),
      excluded: new Set(options.excludedPrograms()),
      lastPrefetchAt,
      threshold: options.threshold,
      probabilityOf: options.within5MinP,
    });
    for (const candidate of candidates) {
      if (budget <= 0) break;
      const result = prefetchFiles(candidate.entry.files, budget);
      if (result.kind !== 'prefetched' || result.files === 0) continue;
      budget -= result.bytes;
      lastPrefetchAt.set(candidate.programId, sample.at);
      const entry = { at: sample.at, programId: candidate.programId, name: candidate.entry.name, probability: candidate.probability, files: result.files, bytes: result.bytes };
      recentPrefetches.unshift(entry);
      recentPrefetches.splice(50);
      options.audit?.append({
        actor: 'engine',
        action: 'prefetch',
        op: null,
        target: null,
        name: candidate.entry.name.slice(0, 1024),
        before: null,
        after: null,
        why: `${candidate.entry.name} starts within 5 minutes with probability ${(candidate.probability * 100).toFixed(0)} %: read ${result.files} file(s), ${Math.round(result.bytes / 1048576)} MiB, into the page cache ahead of the launch`,
        result: 'info',
        reason: null,
        message: null,
        changeId: null,
      });
    }
  };

  const view = (): EngineStateView['prefetch'] => ({
    supported: support.supported,
    ...(support.supported ? {} : { reason: support.reason }),
    programsKnown: programFiles.size,
    recent: recentPrefetches.slice(0, 50),
  });

  return { learnFiles, round, view };
}
