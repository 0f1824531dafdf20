// The audit log: every action attempt, automatic or manual (who, what, target, before, after, why,
// result, when), appended to the embedded store and queried newest-first with keyset paging and
// filters. Append-only: nothing here updates or deletes an entry except prune() by age.
import {
  AuditQuerySchema,
  ChangeSchema,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type Change,
} from '../../src-shared/actions';
import { migrate, type Db, type Migration } from './db';

export const auditMigrations: readonly Migration[] = [
  {
    id: 'audit.1',
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        op TEXT,
        pid INTEGER,
        start_time REAL,
        name TEXT,
        before_json TEXT,
        after_json TEXT,
        why TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT,
        message TEXT,
        change_id INTEGER
      );
      CREATE INDEX audit_log_at ON audit_log (at_ms);
      CREATE INDEX audit_log_pid ON audit_log (pid);
      CREATE INDEX audit_log_actor ON audit_log (actor);
    `,
  },
];

export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

interface Row {
  id: number;
  at_ms: number;
  actor: string;
  action: string;
  op: string | null;
  pid: number | null;
  start_time: number | null;
  name: string | null;
  before_json: string | null;
  after_json: string | null;
  why: string;
  result: string;
  reason: string | null;
  message: string | null;
  change_id: number | null;
}

function parseChange(json: string | null): Change | null {
  if (json === null) return null;
  try {
    const parsed = ChangeSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Actions on Allot itself, not on a process: their before/after columns hold readable text, not a Change. */
export const CONFIG_ACTIONS: ReadonlySet<string> = new Set(['settings', 'rules', 'mode', 'pause', 'profile', 'tokens']);

function toEntry(row: Row): AuditEntry {
  if (CONFIG_ACTIONS.has(row.action)) {
    return { ...processEntry({ ...row, before_json: null, after_json: null }), beforeValue: row.before_json, afterValue: row.after_json };
  }
  return processEntry(row);
}

function processEntry(row: Row): AuditEntry {
  return {
    id: row.id,
    at: row.at_ms,
    actor: row.actor as AuditEntry['actor'],
    action: row.action,
    op: row.op as AuditEntry['op'],
    target: row.pid === null || row.start_time === null ? null : { pid: row.pid, startTime: row.start_time },
    name: row.name,
    before: parseChange(row.before_json),
    after: parseChange(row.after_json),
    why: row.why,
    result: row.result as AuditEntry['result'],
    reason: row.reason as AuditEntry['reason'],
    message: row.message,
    changeId: row.change_id,
  };
}

export class AuditLog {
  readonly db: Db;
  private readonly now: () => number;

  constructor(db: Db, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
    migrate(db, auditMigrations);
  }

  /** Append one entry; returns its id. */
  append(input: AuditInput): number {
    const info = this.db
      .prepare(
        `INSERT INTO audit_log (at_ms, actor, action, op, pid, start_time, name, before_json, after_json, why, result, reason, message, change_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.at ?? this.now(),
        input.actor,
        input.action,
        input.op,
        input.target?.pid ?? null,
        input.target?.startTime ?? null,
        input.name,
        input.before === null ? (input.beforeValue ?? null) : JSON.stringify(input.before),
        input.after === null ? (input.afterValue ?? null) : JSON.stringify(input.after),
        input.why,
        input.result,
        input.reason,
        input.message,
        input.changeId,
      );
    return Number(info.lastInsertRowid);
  }

  /**
   * Newest first. Filters combine with AND. Page with `beforeId: page.nextBeforeId`.
   * Invalid queries are rejected with a clear error (the contract validates before this).
   */
  query(query: AuditQuery = {}): AuditPage {
    const q = AuditQuerySchema.parse(query);
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      args.push(value);
    };
    if (q.beforeId !== undefined) add('id < ?', q.beforeId);
    if (q.actor !== undefined) add('actor = ?', q.actor);
    if (q.pid !== undefined) add('pid = ?', q.pid);
    if (q.op !== undefined) add('op = ?', q.op);
    if (q.result !== undefined) add('result = ?', q.result);
    if (q.sinceMs !== undefined) add('at_ms >= ?', q.sinceMs);
    if (q.untilMs !== undefined) add('at_ms < ?', q.untilMs);
    const rows = this.db
      .prepare(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit + 1) as Row[];
    const more = rows.length > q.limit;
    const entries = rows.slice(0, q.limit).map(toEntry);
    const last = entries[entries.length - 1];
    return { entries, nextBeforeId: more && last ? last.id : null };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  }

  /** Delete entries older than the cutoff (retention); returns how many. */
  prune(olderThanMs: number): number {
    return Number(this.db.prepare('DELETE FROM audit_log WHERE at_ms < ?').run(olderThanMs).changes);
  }
}
