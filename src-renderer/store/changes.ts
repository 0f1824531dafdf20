// Changes slice: the journal of changes (in force, or all with "show all"), the audit log with keyset
// paging, and the actions that make, undo and restore changes through ipc/client.
import type { StateCreator } from 'zustand';
import type { ApplyOutput } from '../../src-shared/contract';
import type { AuditEntry, Change, ChangeRecord, ChangeStatus } from '../../src-shared/actions';
import type { ProcessIdentity } from '../../src-shared/domain';
import { client } from '../ipc/client';
import { describeError } from './errors';
import type { AppState } from './index';

/** Statuses that mean the change is (or may still be) on the process. */
export const IN_FORCE_STATUSES: ReadonlySet<ChangeStatus> = new Set<ChangeStatus>(['pending', 'applied', 'restore-failed']);

export const AUDIT_PAGE_SIZE = 50;

export interface ApplyTarget extends ProcessIdentity {
  name: string;
}

/** The outcome of one change on one target, as the dialog shows it. */
export type ApplyOutcome =
  | { target: ApplyTarget; change: Change; kind: 'done'; output: ApplyOutput }
  | { target: ApplyTarget; change: Change; kind: 'error'; message: string };

export interface ApplyOptions {
  durationMs?: number;
  why?: string;
  /** The person answered yes to "Allot cannot raise it back without administrator rights: continue?". */
  confirmIrreversible?: boolean;
}

export interface ChangesSlice {
  changes: ChangeRecord[];
  changesAll: boolean;
  audit: AuditEntry[];
  auditNextBeforeId: number | null;
  auditLoaded: boolean;
  loadChanges(): Promise<void>;
  setChangesAll(all: boolean): void;
  applyChangesEvent(records: readonly ChangeRecord[]): void;
  /** Apply each change to each target (one changes.apply per pair); never throws. */
  applyChanges(targets: readonly ApplyTarget[], changes: readonly Change[], options?: ApplyOptions): Promise<ApplyOutcome[]>;
  /** End processes (graceful, forced after 3 s). */
  endTasks(targets: readonly ApplyTarget[]): Promise<ApplyOutcome[]>;
  setSuspended(targets: readonly ApplyTarget[], suspended: boolean): Promise<ApplyOutcome[]>;
  undoChange(id: number): Promise<void>;
  restoreAll(): Promise<void>;
  /** Load the newest page (reset) or the next older page. */
  loadAudit(more?: boolean): Promise<void>;
}


/** Merge updated records into a list by id, newest first; drop ones no longer in force unless `all`. */
export function mergeChanges(list: readonly ChangeRecord[], updates: readonly ChangeRecord[], all: boolean): ChangeRecord[] {
  const byId = new Map(list.map((record) => [record.id, record]));
  for (const record of updates) byId.set(record.id, record);
  return [...byId.values()]
    .filter((record) => all || IN_FORCE_STATUSES.has(record.status))
    .sort((a, b) => b.id - a.id);
}

export function describeOutcome(outcome: ApplyOutcome): string {
  if (outcome.kind === 'error') return `failed: ${outcome.message}`;
  const result = outcome.output.result;
  if (result.kind === 'applied') return `applied${result.note ? ` (${result.note})` : ''}`;
  return `refused (${result.reason}): ${result.message}`;
}

export const createChangesSlice: StateCreator<AppState, [], [], ChangesSlice> = (set, get) => ({
  changes: [],
  changesAll: false,
  audit: [],
  auditNextBeforeId: null,
  auditLoaded: false,
  async loadChanges() {
    const all = get().changesAll;
    try {
      const records = await client().invoke('changes.list', { all, limit: all ? 1000 : 5000 });
      set({ changes: mergeChanges([], records, all) });
    } catch (error) {
      get().pushToast('error', `Could not load changes: ${describeError(error)}`);
    }
  },
  setChangesAll(changesAll) {
    set({ changesAll });
    void get().loadChanges();
  },
  applyChangesEvent(records) {
    set((state) => ({ changes: mergeChanges(state.changes, records, state.changesAll) }));
  },
  async applyChanges(targets, changes, options = {}) {
    const outcomes: ApplyOutcome[] = [];
    for (const target of targets) {
      for (const change of changes) {
        try {
          const output = await client().invoke('changes.apply', {
            target: { pid: target.pid, startTime: target.startTime },
            change,
            ...(options.why ? { why: options.why } : {}),
            ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
            ...(options.confirmIrreversible ? { confirmIrreversible: true } : {}),
          });
          outcomes.push({ target, change, kind: 'done', output });
        } catch (error) {
          outcomes.push({ target, change, kind: 'error', message: describeError(error) });
        }
      }
    }
    const failed = outcomes.filter((o) => o.kind === 'error' || o.output.result.kind === 'refused');
    if (failed.length > 0) {
      const first = failed[0]!;
      get().pushToast('error', `${first.target.name} (${first.target.pid}) ${first.change.op}: ${describeOutcome(first)}${failed.length > 1 ? ` (+${failed.length - 1} more)` : ''}`);
    }
    return outcomes;
  },
  async endTasks(targets) {
    const outcomes = await get().applyChanges(targets, [{ op: 'terminate', value: { graceMs: 3000 } }], { why: 'ended by the user' });
    const ended = outcomes.filter((o) => o.kind === 'done' && o.output.result.kind === 'applied').length;
    if (ended > 0) get().pushToast('success', `Ended ${ended} ${ended === 1 ? 'process' : 'processes'}`);
    return outcomes;
  },
  async setSuspended(targets, suspended) {
    const outcomes = await get().applyChanges(targets, [{ op: 'suspend', value: { suspended } }], {
      why: suspended ? 'suspended by the user' : 'resumed by the user',
    });
    const done = outcomes.filter((o) => o.kind === 'done' && o.output.result.kind === 'applied').length;
    if (done > 0) get().pushToast('success', `${suspended ? 'Suspended' : 'Resumed'} ${done} ${done === 1 ? 'process' : 'processes'}`);
    return outcomes;
  },
  async undoChange(id) {
    try {
      const result = await client().invoke('changes.undo', { id });
      if (result.kind === 'refused') get().pushToast('error', `Undo refused (${result.reason}): ${result.message}`);
      else get().pushToast('success', `Change ${id} undone`);
    } catch (error) {
      get().pushToast('error', `Undo failed: ${describeError(error)}`);
    }
    await get().loadChanges();
  },
  async restoreAll() {
    try {
      const result = await client().invoke('changes.restoreAll', {});
      get().pushToast(
        result.failed > 0 ? 'error' : 'success',
        `Restored ${result.restored}, ${result.gone} gone, ${result.failed} failed`,
      );
    } catch (error) {
      get().pushToast('error', `Restore all failed: ${describeError(error)}`);
    }
    await get().loadChanges();
  },
  async loadAudit(more = false) {
    const before = more ? get().auditNextBeforeId : null;
    if (more && before === null) return;
    try {
      const page = await client().invoke('audit.list', { limit: AUDIT_PAGE_SIZE, ...(before !== null ? { beforeId: before } : {}) });
      set((state) => ({
        audit: more ? [...state.audit, ...page.entries] : page.entries,
        auditNextBeforeId: page.nextBeforeId,
        auditLoaded: true,
      }));
    } catch (error) {
      get().pushToast('error', `Could not load the audit log: ${describeError(error)}`);
    }
  },
});
