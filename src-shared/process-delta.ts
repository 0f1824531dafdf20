// Ticks over the WebSocket (and Electron IPC) as deltas. A tick carries every process (1,000 or more), but from one
// second to the next most of them have not changed at all: an idle daemon's row is the same text
// every time. Parsing that text again was the largest single cost of a tick in the page (JSON.parse
// of ~0.5 MB every second). So per connection the agent remembers what it last sent of each process
// and sends only the processes whose serialized form changed, the keys of those that are gone, and
// the count; the page keeps the live set and rebuilds the full list, so everything after the
// transport still sees a whole Sample.
//
// Consistency: both sides start empty on every connection (the first tick is therefore complete),
// the encoder updates its memory only for a message that is actually sent, and the decoder checks
// the count; on a mismatch it reports a broken stream and the transport reconnects, which resyncs.
import type { ProcessSample } from './domain';
import { processKey } from './identity';

/** A process's identity across ticks: pid and start time (a reused pid is another process). */
export { processKey };

/** `tick` with its sample's process list replaced: emptied to send a delta, rebuilt on arrival. */
export function withProcesses<T extends { sample: { processes: readonly ProcessSample[] } }>(tick: T, processes: ProcessSample[]): T {
  return { ...tick, sample: { ...tick.sample, processes } };
}

/** Same value: primitives by identity, arrays and plain objects field by field (what JSON would show). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

export interface EncodedDelta {
  /** Where the processes that are new or changed since the last delta sent are in the list given to encode. */
  changedIndexes: number[];
  /** Keys of the processes sent before that are gone now. */
  removed: string[];
  /** How many processes the full list has. */
  count: number;
}

/**
 * The sender's side, one per connection or renderer. Compares field by field with what it sent
 * last (cheaper than serializing every process to compare texts); only the changed are serialized.
 */
export class ProcessDeltaEncoder {
  private sent = new Map<string, ProcessSample>();

  /**
   * The delta from what this peer has to `processes`. Call `commit` with the result once the
   * message is really sent; a delta that is dropped (slow client) must leave the memory as it was.
   */
  encode(processes: readonly ProcessSample[]): EncodedDelta & { next: Map<string, ProcessSample> } {
    // A racy sample can list one process twice: the last entry counts, on both sides.
    const last = new Map<string, number>();
    processes.forEach((process, index) => last.set(processKey(process), index));
    const next = new Map<string, ProcessSample>();
    const changedIndexes: number[] = [];
    for (const [key, index] of last) {
      const process = processes[index]!;
      next.set(key, process);
      const before = this.sent.get(key);
      if (before === undefined || !sameValue(before, process)) changedIndexes.push(index);
    }
    const removed: string[] = [];
    for (const key of this.sent.keys()) if (!next.has(key)) removed.push(key);
    return { changedIndexes, removed, count: next.size, next };
  }

  commit(delta: { next: Map<string, ProcessSample> }): void {
    this.sent = delta.next;
  }
}

export interface ProcessDelta {
  changed: readonly ProcessSample[];
  removed: readonly string[];
  count: number;
}

/** The page's side, one per connection. */
export class ProcessDeltaDecoder {
  private live = new Map<string, ProcessSample>();

  /** Forget everything (a new connection starts from an empty set). */
  reset(): void {
    this.live.clear();
  }

  /**
   * Apply a delta and return the full process list (processes that stayed keep their place, new
   * ones come last), or null when the result does not have the count the agent sent: the stream
   * is broken and the caller must resync.
   */
  apply(delta: ProcessDelta): ProcessSample[] | null {
    for (const key of delta.removed) this.live.delete(key);
    for (const process of delta.changed) this.live.set(processKey(process), process);
    if (this.live.size !== delta.count) return null;
    return [...this.live.values()];
  }
}
