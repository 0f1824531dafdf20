// The embedded store: one SQLite file through libsql (better-sqlite3 API, N-API, loads in Node and
// Electron alike). WAL mode. Each store module registers its own migrations here by name, so
// modules own their tables without editing a shared schema file. Never touch the files with `fs`.
import Database from 'libsql';

export type Db = InstanceType<typeof Database>;

export interface Migration {
  /** Unique, stable id, e.g. "history.1". Applied once, in registration order. */
  id: string;
  sql: string;
}

export interface OpenOptions {
  /** ':memory:' for tests. */
  path: string;
  migrations?: readonly Migration[];
  readonly?: boolean;
}

export function openDb(options: OpenOptions): Db {
  const db = new Database(options.path, { readonly: options.readonly ?? false });
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations ?? []);
  }
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS _migrations (id TEXT PRIMARY KEY, applied_at_ms INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT id FROM _migrations').all() as Array<{ id: string }>).map((row) => row.id),
  );
  const record = db.prepare('INSERT INTO _migrations (id, applied_at_ms) VALUES (?, ?)');
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    db.exec('BEGIN');
    try {
      db.exec(migration.sql);
      record.run(migration.id, Date.now());
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
