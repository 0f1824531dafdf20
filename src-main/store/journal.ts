// The restore journal: every change Allot makes, with the ORIGINAL value written durably before the
// change (synchronous insert, SQLite WAL through store/db.ts), and its status afterwards. On exit,
// on turning the engine off and on the next start after a crash, restoreAll() puts every change
// still in force back on the process with the same identity.
//
// One change per (process, operation) is in force at a time: a later change of the same operation
// supersedes the earlier one and inherits its original value, so restore always returns to what the
// process had before Allot first touched it.
//
// Durability: WAL with synchronous=NORMAL survives a crash or kill -9 of Allot (committed
// transactions are in the WAL file); Journal.open() uses its own connection with synchronous=FULL so
// the original values also survive power loss.
import type { ProcessIdentity } from '../../src-shared/domain';
import {
  ChangeSchema,
  type ActionResult,
  type Actor,
  type Change,
  type ChangeRecord,
  type ChangeStatus,
  type Operation,
  type ReadableOperation,
  type Reading,
  type ReadResult,
} from '../../src-shared/actions';
import { restorePlan } from '../../src-shared/action-values';
import { migrate, openDb, type Db, type Migration } from './db';
import { errorMessage } from '../../src-shared/errors';

export const journalMigrations: readonly Migration[] = [
  {
    id: 'journal.1',
    sql: `
      CREATE TABLE journal_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        pid INTEGER NOT NULL,
        start_time REAL NOT NULL,
        name TEXT NOT NULL,
        actor TEXT NOT NULL,
        op TEXT NOT NULL,
        change_json TEXT NOT NULL,
        before_json TEXT,
        after_json TEXT,
        status TEXT NOT NULL,
        why TEXT NOT NULL,
        note TEXT,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      );
      CREATE INDEX journal_changes_status ON journal_changes (status);
      CREATE INDEX journal_changes_target ON journal_changes (pid, start_time, op);
      CREATE TABLE journal_external (
        pid INTEGER NOT NULL,
        start_time REAL NOT NULL,
        op TEXT NOT NULL,
        detail TEXT NOT NULL,
        detected_at_ms INTEGER NOT NULL,
        PRIMARY KEY (pid, start_time)
      );
    `,
  },
];

/**
 * Statuses whose value may still be on the process: pending, applied, and restore-failed (putting
 * the original back was refused, so Allot's value is probably still there). A restore-failed change
 * keeps its original: the next restore (undo, engine off, exit, start after a crash) tries again,
 * and a later change of the same operation takes over its original instead of reading Allot's value.
 */
export const IN_FORCE: readonly ChangeStatus[] = ['pending', 'applied', 'restore-failed'];
const IN_FORCE_SQL = `(${IN_FORCE.map((status) => `'${status}'`).join(', ')})`;

interface Row {
  id: number;
  pid: number;
  start_time: number;
  name: string;
  actor: string;
  op: string;
  change_json: string;
  before_json: string | null;
  after_json: string | null;
  status: string;
  why: string;
  note: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** The stored change, or null when there is none or it cannot be read (corrupt, or from a newer build). */
function parseChange(json: string | null): Change | null {
  if (json === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = ChangeSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function toRecord(row: Row): ChangeRecord {
  return {
    id: row.id,
    target: { pid: row.pid, startTime: row.start_time },
    name: row.name,
    actor: row.actor as Actor,
    change: parseChange(row.change_json) ?? ({ op: 'terminate', value: { graceMs: 0 } } as Change),
    before: parseChange(row.before_json),
    after: parseChange(row.after_json),
    status: row.status as ChangeStatus,
    why: row.why,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    note: row.note,
  };
}

export interface BeginInput {
  target: ProcessIdentity;
  name: string;
  actor: Actor;
  change: Change;
  /** The original value (read before acting); null for operations without one (terminate). */
  before: Change | null;
  why: string;
}

export interface ListFilter {
  limit?: number;
  /** Records with id < beforeId (newest first). */
  beforeId?: number;
  status?: ChangeStatus | readonly ChangeStatus[];
  pid?: number;
  op?: Operation;
}

/** What an adapter must offer to restore (GuardedAdapter satisfies it). */
export interface RestoringAdapter {
  restore(target: ProcessIdentity, original: Change): Promise<ActionResult>;
  cleanup(): Promise<string[]>;
  /** The value now (used before retrying a refused restore); without it the retry goes ahead. */
  read?(target: ProcessIdentity, op: ReadableOperation): Promise<ReadResult>;
}

export interface RestoreOutcome {
  changeId: number;
  target: ProcessIdentity;
  name: string;
  op: Operation;
  /** 'restored' | 'gone' | 'restore-failed' | 'external' */
  status: ChangeStatus;
  result: ActionResult;
}

export interface RestoreOptions {
  /** The value the process has now, already read (skips the read). */
  current?: Reading;
  /** Someone else changed this value (checkExternal): the record ends 'external' even when nothing else was theirs. */
  outsider?: boolean;
}

export interface RestoreReport {
  outcomes: RestoreOutcome[];
  /** Leftovers the adapter removed (empty cgroups of exited processes, ...). */
  cleaned: string[];
}

export class Journal {
  readonly db: Db;
  private readonly now: () => number;

  constructor(db: Db, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
    migrate(db, journalMigrations);
  }

  /** Open (or create) a journal file with its own connection, synchronous=FULL. */
  static open(path: string, now?: () => number): Journal {
    const db = openDb({ path, migrations: journalMigrations });
    db.pragma('synchronous = FULL');
    return new Journal(db, now);
  }

  close(): void {
    this.db.close();
  }

  /** Durably record a change about to be made (status 'pending'). Returns the record. */
  begin(input: BeginInput): ChangeRecord {
    const at = this.now();
    const info = this.db
      .prepare(
        `INSERT INTO journal_changes (pid, start_time, name, actor, op, change_json, before_json, after_json, status, why, note, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'pending', ?, NULL, ?, ?)`,
      )
      .run(
        input.target.pid,
        input.target.startTime,
        input.name,
        input.actor,
        input.change.op,
        JSON.stringify(input.change),
        input.before === null ? null : JSON.stringify(input.before),
        input.why,
        at,
        at,
      );
    const record = this.get(Number(info.lastInsertRowid));
    if (!record) throw new Error('journal insert was not readable');
    return record;
  }

  /** The change took effect: store the value read back and supersede older changes of the same op. */
  markApplied(id: number, after: Change | null, note?: string): void {
    const at = this.now();
    const record = this.get(id);
    if (!record) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db
        .prepare(
          `UPDATE journal_changes SET status = 'superseded', updated_at_ms = ?, note = 'superseded by change ' || ?
           WHERE pid = ? AND start_time = ? AND op = ? AND id <> ? AND status IN ${IN_FORCE_SQL}`,
        )
        .run(at, id, record.target.pid, record.target.startTime, record.change.op, id);
      this.db
        .prepare(`UPDATE journal_changes SET status = 'applied', after_json = ?, note = ?, updated_at_ms = ? WHERE id = ?`)
        .run(after === null ? null : JSON.stringify(after), note ?? null, at, id);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  setStatus(id: number, status: ChangeStatus, note?: string | null): void {
    this.db
      .prepare(`UPDATE journal_changes SET status = ?, note = COALESCE(?, note), updated_at_ms = ? WHERE id = ?`)
      .run(status, note ?? null, this.now(), id);
  }

  get(id: number): ChangeRecord | null {
    const row = this.db.prepare('SELECT * FROM journal_changes WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** Every change whose value may still be on a process, oldest first. */
  inForce(): ChangeRecord[] {
    return (this.db.prepare(`SELECT * FROM journal_changes WHERE status IN ${IN_FORCE_SQL} ORDER BY id`).all() as Row[]).map(toRecord);
  }

  /** The change of this operation in force on this process, if any (newest). */
  inForceFor(target: ProcessIdentity, op: Operation): ChangeRecord | null {
    const row = this.db
      .prepare(
        `SELECT * FROM journal_changes WHERE pid = ? AND start_time = ? AND op = ? AND status IN ${IN_FORCE_SQL} ORDER BY id DESC LIMIT 1`,
      )
      .get(target.pid, target.startTime, op) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** Newest first, keyset paging by id. */
  list(filter: ListFilter = {}): ChangeRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      args.push(filter.beforeId);
    }
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      args.push(...statuses);
    }
    if (filter.pid !== undefined) {
      where.push('pid = ?');
      args.push(filter.pid);
    }
    if (filter.op !== undefined) {
      where.push('op = ?');
      args.push(filter.op);
    }
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), 1000);
    const sql = `SELECT * FROM journal_changes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(toRecord);
  }

  /** Record that someone else manages this process; the engine leaves it alone from now on. */
  markExternal(target: ProcessIdentity, op: Operation, detail: string): void {
    this.db
      .prepare(
        `INSERT INTO journal_external (pid, start_time, op, detail, detected_at_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pid, start_time) DO UPDATE SET op = excluded.op, detail = excluded.detail, detected_at_ms = excluded.detected_at_ms`,
      )
      .run(target.pid, target.startTime, op, detail, this.now());
  }

  externalFor(target: ProcessIdentity): { op: Operation; detail: string; detectedAtMs: number } | null {
    const row = this.db
      .prepare('SELECT op, detail, detected_at_ms FROM journal_external WHERE pid = ? AND start_time = ?')
      .get(target.pid, target.startTime) as { op: Operation; detail: string; detected_at_ms: number } | undefined;
    return row ? { op: row.op, detail: row.detail, detectedAtMs: row.detected_at_ms } : null;
  }

  clearExternal(target: ProcessIdentity): void {
    this.db.prepare('DELETE FROM journal_external WHERE pid = ? AND start_time = ?').run(target.pid, target.startTime);
  }

  /**
   * Put back every change still in force (newest first), on the process with the same identity.
   * Gone processes are marked 'gone'; refusals other than 'gone' are marked 'restore-failed' with
   * the message. Then the adapter removes leftovers (empty cgroups). Never throws.
   */
  async restoreAll(adapter: RestoringAdapter): Promise<RestoreReport> {
    const outcomes: RestoreOutcome[] = [];
    for (const record of this.inForce().reverse()) {
      outcomes.push(await this.restoreOne(adapter, record));
    }
    let cleaned: string[] = [];
    try {
      cleaned = await adapter.cleanup();
    } catch {
      cleaned = [];
    }
    return { outcomes, cleaned };
  }

  /** Restore one in-force record and mark it. Never throws. */
  async restoreOne(adapter: RestoringAdapter, record: ChangeRecord, options: RestoreOptions = {}): Promise<RestoreOutcome> {
    const base = { changeId: record.id, target: record.target, name: record.name, op: record.change.op };
    if (record.before === null) {
      // No original, or one this build cannot read (a newer build wrote it): only the first is done.
      const stored = this.db.prepare('SELECT before_json FROM journal_changes WHERE id = ?').raw().get(record.id) as [string | null] | undefined;
      if (stored?.[0] != null) {
        const message = 'the original value in the journal cannot be read by this version of Allot; nothing was changed';
        this.setStatus(record.id, 'restore-failed', message);
        return { ...base, status: 'restore-failed', result: { kind: 'refused', reason: 'failed', message } };
      }
      this.setStatus(record.id, 'restored', 'nothing to put back');
      return { ...base, status: 'restored', result: { kind: 'applied' } };
    }
    // Read first: only what still has Allot's value goes back (per field, restorePlan); a value
    // someone else set since is theirs. Without a reading (the adapter cannot read, or the read was
    // refused for another reason) the original is written as before: Allot cannot tell.
    const allot = record.after ?? (record.status === 'pending' ? record.change : null);
    let original: Change = record.before;
    let external: string[] = [];
    if (allot && record.change.op !== 'terminate') {
      let now: ReadResult | undefined = options.current ? { kind: 'value', value: options.current } : undefined;
      if (!now && adapter.read) {
        try {
          now = await adapter.read(record.target, record.change.op as ReadableOperation);
        } catch {
          now = undefined;
        }
      }
      if (now?.kind === 'refused' && now.reason === 'gone') {
        this.setStatus(record.id, 'gone', 'the process exited');
        return { ...base, status: 'gone', result: now };
      }
      if (now?.kind === 'value') {
        const plan = restorePlan(record.before, allot, now.value);
        external = plan.external;
        if (plan.change === null) {
          if (external.length > 0 || options.outsider) {
            const detail = `${external.length > 0 ? external.join(', ') : record.change.op} changed to ${JSON.stringify(now.value.value)} by someone else; Allot leaves it`.slice(0, 1024);
            this.setStatus(record.id, 'external', detail);
            this.markExternal(record.target, record.change.op, detail);
            return { ...base, status: 'external', result: { kind: 'refused', reason: 'external', message: detail } };
          }
          this.setStatus(record.id, 'restored', 'already back at the original value');
          return { ...base, status: 'restored', result: { kind: 'applied', before: now.value, after: now.value, note: 'already back at the original value' } };
        }
        original = plan.change;
      }
    }
    let result: ActionResult;
    try {
      result = await adapter.restore(record.target, original);
    } catch (error) {
      result = { kind: 'refused', reason: 'failed', message: errorMessage(error) };
    }
    if (result.kind === 'applied' && (external.length > 0 || options.outsider)) {
      // Partly Allot's: what was still Allot's is back; the rest belongs to whoever changed it.
      const detail = `${external.length > 0 ? external.join(', ') : record.change.op} left as someone else set it; the rest put back`.slice(0, 1024);
      this.setStatus(record.id, 'external', detail);
      this.markExternal(record.target, record.change.op, detail);
      return { ...base, status: 'external', result: { ...result, note: detail } };
    }
    const status: ChangeStatus = result.kind === 'applied' ? 'restored' : result.reason === 'gone' ? 'gone' : 'restore-failed';
    this.setStatus(record.id, status, result.kind === 'refused' ? result.message : (result.note ?? null));
    return { ...base, status, result };
  }
}
