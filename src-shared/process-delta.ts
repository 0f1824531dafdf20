// Ticks over the WebSocket as deltas. A tick carries every process (1,000 or more), but from one
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

/** A process's identity across ticks: pid and start time (a reused pid is another process). */
export function processKey(process: Pick<ProcessSample, 'pid' | 'startTime'>): string {
  return `${process.pid}:${process.startTime}`;
}

/** One process serialized once per tick, shared by every connection's encoder. */
export interface SerializedProcess {
  key: string;
  json: string;
}

export function serializeProcesses(processes: readonly ProcessSample[]): SerializedProcess[] {
  return processes.map((process) => ({ key: processKey(process), json: JSON.stringify(process) }));
}

export interface EncodedDelta {
  /** JSON texts of the processes that are new or changed since the last delta sent. */
  changedJson: string[];
  /** Keys of the processes sent before that are gone now. */
  removed: string[];
  /** How many processes the full list has. */
  count: number;
}

/** The agent's side, one per connection. */
export class ProcessDeltaEncoder {
  private sent = new Map<string, string>();

  /**
   * The delta from what this connection has to `processes`. Call `commit` with the result once the
   * message is really sent; a delta that is dropped (slow client) must leave the memory as it was.
   */
  encode(processes: readonly SerializedProcess[]): EncodedDelta & { next: Map<string, string> } {
    // A racy sample can list one process twice: the last entry counts, on both sides.
    const next = new Map<string, string>();
    for (const { key, json } of processes) next.set(key, json);
    const changedJson: string[] = [];
    for (const [key, json] of next) if (this.sent.get(key) !== json) changedJson.push(json);
    const removed: string[] = [];
    for (const key of this.sent.keys()) if (!next.has(key)) removed.push(key);
    return { changedJson, removed, count: next.size, next };
  }

  commit(delta: { next: Map<string, string> }): void {
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
