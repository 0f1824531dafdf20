// The audit log on a real SQLite file: append, newest-first keyset paging, filters, bad queries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src-main/store/db';
import { AuditLog } from '../../../src-main/store/audit';
import type { Actor } from '../../../src-shared/actions';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'allot-audit-'));
  db = openDb({ path: join(dir, 'a.db') });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function fill(log: AuditLog, n: number): void {
  const actors: Actor[] = ['engine', 'user', 'cli', 'agent:ops laptop'];
  for (let i = 0; i < n; i++) {
    log.append({
      at: 1000 + i,
      actor: actors[i % 4]!,
      action: 'apply',
      op: i % 3 === 0 ? 'priority' : 'cpuCap',
      target: { pid: 100 + (i % 5), startTime: 7 },
      name: `p${i % 5}`,
      before: { op: 'priority', value: { nice: 0 } },
      after: i % 2 ? { op: 'priority', value: { nice: 10 } } : null,
      why: `reason ${i}`,
      result: i % 2 ? 'applied' : 'refused',
      reason: i % 2 ? null : 'permission',
      message: i % 2 ? null : 'needs root',
      changeId: i + 1,
    });
  }
}

describe('AuditLog', () => {
  it('pages newest first without gaps or repeats', () => {
    const log = new AuditLog(db);
    fill(log, 53);
    const seen: number[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = log.query({ limit: 10, ...(beforeId ? { beforeId } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      if (page.nextBeforeId === null) break;
      beforeId = page.nextBeforeId;
    }
    expect(seen).toHaveLength(53);
    expect(new Set(seen).size).toBe(53);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('filters by actor, pid, op, result and time, and round-trips entries', () => {
    const log = new AuditLog(db);
    fill(log, 40);
    expect(log.query({ actor: 'agent:ops laptop', limit: 100 }).entries.every((e) => e.actor === 'agent:ops laptop')).toBe(true);
    expect(log.query({ actor: 'agent:ops laptop', limit: 100 }).entries).toHaveLength(10);
    const mixed = log.query({ pid: 102, op: 'priority', result: 'refused', limit: 100 }).entries;
    expect(mixed.length).toBeGreaterThan(0);
    for (const e of mixed) expect(e).toMatchObject({ target: { pid: 102, startTime: 7 }, op: 'priority', result: 'refused', reason: 'permission' });
    expect(log.query({ sinceMs: 1010, untilMs: 1020, limit: 100 }).entries.map((e) => e.at)).toEqual([1019, 1018, 1017, 1016, 1015, 1014, 1013, 1012, 1011, 1010]);
    const [newest] = log.query({ limit: 1 }).entries;
    expect(newest).toMatchObject({ action: 'apply', why: 'reason 39', after: { op: 'priority', value: { nice: 10 } }, changeId: 40 });
  });

  it('rejects bad queries with a clear error', () => {
    const log = new AuditLog(db);
    expect(() => log.query({ limit: 0 })).toThrow();
    expect(() => log.query({ actor: 'root; DROP TABLE' as Actor })).toThrow();
    expect(log.count()).toBe(0);
  });

  it('prunes by age', () => {
    const log = new AuditLog(db);
    fill(log, 10);
    expect(log.prune(1005)).toBe(5);
    expect(log.count()).toBe(5);
  });
});
