// The engine's recent activity, kept so the Engine view is never empty on open: each decision with
// its result and the OS changes made for it, each alert and each measured effect, in the embedded
// store. Bounded (the newest `maxItems`, none older than `maxAgeMs`) and written in batches: a tick
// with no decision, alert or effect costs a length check and writes nothing; items are held in
// memory and written in one transaction every `flushEveryMs` (and before a read and on close).
// An item seen again (advice applied later, a decision's result) replaces the stored one in place.
import {
  EngineLogItemSchema,
  EngineLogQuerySchema,
  type EngineLogItem,
  type EngineLogKind,
  type EngineLogPage,
  type EngineLogQuery,
  type ReportedDecision,
  type TickReport,
} from '../../src-shared/report';
import type { Alert, Effect } from '../../src-shared/engine';
import { migrate, type Db, type Migration } from './db';

export const ENGINE_LOG_MIGRATIONS: readonly Migration[] = [
  {
    id: 'engine-log.1',
    sql: `
      CREATE TABLE engine_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms REAL NOT NULL,
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        json TEXT NOT NULL,
        UNIQUE (kind, item_id)
      );
      CREATE INDEX engine_log_at ON engine_log (at_ms, seq);
    `,
  },
];

/** Defaults: the last 2,000 items or 7 days, whichever is smaller; a batch every 5 s. */
export const ENGINE_LOG_MAX_ITEMS = 2000;
export const ENGINE_LOG_MAX_AGE_MS = 7 * 86_400_000;
export const ENGINE_LOG_FLUSH_EVERY_MS = 5000;
/** Held items that force a write before the interval is up. */
const MAX_PENDING_ITEMS = 500;

export interface EngineLogStoreOptions {
  now?: () => number;
  maxItems?: number;
  maxAgeMs?: number;
  flushEveryMs?: number;
  log?: (message: string) => void;
}

interface Pending {
  kind: EngineLogKind;
  id: string;
  atMs: number;
  json: string;
}

interface Row {
  seq: number;
  at_ms: number;
  kind: string;
  json: string;
}

export class EngineLogStore {
  readonly db: Db;
  private readonly now: () => number;
  private readonly maxItems: number;
  private readonly maxAgeMs: number;
  private readonly flushEveryMs: number;
  private readonly log: (message: string) => void;
  /** Items waiting for the next batch, by kind and id (a later version of one replaces the earlier). */
  private readonly pending = new Map<string, Pending>();
  private lastFlushMs: number;
  private closed = false;

  constructor(db: Db, options: EngineLogStoreOptions = {}) {
    this.db = db;
    this.now = options.now ?? Date.now;
    this.maxItems = options.maxItems ?? ENGINE_LOG_MAX_ITEMS;
    this.maxAgeMs = options.maxAgeMs ?? ENGINE_LOG_MAX_AGE_MS;
    this.flushEveryMs = options.flushEveryMs ?? ENGINE_LOG_FLUSH_EVERY_MS;
    this.log = options.log ?? ((message) => console.error(`[allot] ${message}`));
    migrate(db, ENGINE_LOG_MIGRATIONS);
    this.lastFlushMs = this.now();
    this.prune();
  }

  /** Keep what one tick produced. Nothing to keep: nothing done beyond a look at the lengths. */
  record(report: TickReport): void {
    if (this.closed) return;
    if (report.decisions.length > 0) this.recordDecisions(report.decisions);
    for (let i = 0; i < report.alerts.length; i++) this.recordAlert(report.alerts[i]!);
    for (let i = 0; i < report.events.length; i++) {
      const event = report.events[i]!;
      if (event.type === 'effect') this.recordEffect(event.effect);
    }
    this.maybeFlush();
  }

  /** Decisions made outside a tick (a mode change's restores, advice a person applied, the stop). */
  recordDecisions(decisions: readonly ReportedDecision[]): void {
    if (this.closed) return;
    for (const reported of decisions) this.hold('decision', reported.decision.id, reported.decision.at, reported);
    this.maybeFlush();
  }

  recordAlert(alert: Alert): void {
    this.hold('alert', alert.id, alert.at, alert);
  }

  recordEffect(effect: Effect): void {
    // One effect per decision: the feedback loop's latest verdict replaces an earlier one.
    this.hold('effect', effect.decisionId, effect.at, effect);
  }

  private hold(kind: EngineLogKind, id: string, atMs: number, value: unknown): void {
    const key = `${kind}|${id}`;
    this.pending.delete(key);
    this.pending.set(key, { kind, id, atMs, json: JSON.stringify(value) });
  }

  private maybeFlush(): void {
    if (this.pending.size === 0) return;
    if (this.pending.size >= MAX_PENDING_ITEMS || this.now() - this.lastFlushMs >= this.flushEveryMs) this.flush();
  }

  /** Write the held items in one transaction, then prune; returns how many were written. */
  flush(): number {
    this.lastFlushMs = this.now();
    if (this.pending.size === 0) return 0;
    const items = [...this.pending.values()];
    this.pending.clear();
    const upsert = this.db.prepare(
      `INSERT INTO engine_log (at_ms, kind, item_id, json) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, item_id) DO UPDATE SET json = excluded.json`,
    );
    try {
      this.db.exec('BEGIN');
      try {
        for (const item of items) upsert.run(item.atMs, item.kind, item.id, item.json);
        this.db.exec('COMMIT');
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
      this.prune();
    } catch (error) {
      // The engine goes on without its log; the items of this batch are lost, not retried forever.
      this.log(`could not write the engine log: ${(error as Error).message}`);
      return 0;
    }
    return items.length;
  }

  /** Drop items older than maxAgeMs and all but the newest maxItems; returns how many. */
  prune(): number {
    let removed = Number(this.db.prepare('DELETE FROM engine_log WHERE at_ms < ?').run(this.now() - this.maxAgeMs).changes);
    const over = this.count() - this.maxItems;
    if (over > 0) {
      removed += Number(this.db.prepare('DELETE FROM engine_log WHERE seq IN (SELECT seq FROM engine_log ORDER BY at_ms ASC, seq ASC LIMIT ?)').run(over).changes);
    }
    return removed;
  }

  /** Newest first, with the cursor of the next older page. Invalid queries throw (the contract checks before). */
  query(query: EngineLogQuery): EngineLogPage {
    const q = EngineLogQuerySchema.parse(query);
    this.flush();
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.kinds !== undefined) {
      where.push(`kind IN (${q.kinds.map(() => '?').join(', ')})`);
      args.push(...q.kinds);
    }
    if (q.beforeAt !== undefined && q.beforeSeq !== undefined) {
      where.push('(at_ms < ? OR (at_ms = ? AND seq < ?))');
      args.push(q.beforeAt, q.beforeAt, q.beforeSeq);
    } else if (q.beforeAt !== undefined) {
      where.push('at_ms < ?');
      args.push(q.beforeAt);
    }
    const rows = this.db
      .prepare(`SELECT seq, at_ms, kind, json FROM engine_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at_ms DESC, seq DESC LIMIT ?`)
      .all(...args, q.limit + 1) as Row[];
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const items: EngineLogItem[] = [];
    let skipped = 0;
    for (const row of page) {
      const item = toItem(row);
      if (item) items.push(item);
      else skipped++;
    }
    if (skipped > 0) this.log(`engine log: ${skipped} stored item(s) no longer valid were left out`);
    const last = page[page.length - 1];
    return { items, next: more && last ? { beforeAt: last.at_ms, beforeSeq: last.seq } : null };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM engine_log').get() as { n: number }).n;
  }

  /** Items held for the next batch (not yet in the table). */
  pendingItems(): number {
    return this.pending.size;
  }

  /** Write what is held; later records are ignored. The database stays open (its owner closes it). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}

function toItem(row: Row): EngineLogItem | undefined {
  let value: unknown;
  try {
    value = JSON.parse(row.json);
  } catch {
    return undefined;
  }
  const field = row.kind === 'decision' ? 'decision' : row.kind === 'alert' ? 'alert' : row.kind === 'effect' ? 'effect' : undefined;
  if (!field) return undefined;
  const parsed = EngineLogItemSchema.safeParse({ kind: row.kind, seq: row.seq, at: row.at_ms, [field]: value });
  return parsed.success ? parsed.data : undefined;
}
