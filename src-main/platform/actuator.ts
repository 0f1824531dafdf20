// The actuator: the only way the core changes a process. For each request:
//   external check -> guard (never-touch) -> read the original -> journal it durably ->
//   act (adapter: identity check, act, read back) -> mark the journal -> audit.
// Also undo(changeId), listChanges(), restoreAll() (exit, engine off, start after a crash) and
// checkExternal(): a value someone else changed wins; Allot marks the change 'external', records the
// process as externally managed and refuses further ENGINE changes to it (a person still may).
// OS-agnostic: it only talks to a GuardedAdapter.
import type { ProcessIdentity } from '../../src-shared/domain';
import type { ActionResult, Actor, Change, ChangeRecord, Operation, Refusal } from '../../src-shared/actions';
import type { GuardedAdapter } from './guard';
import { describeRule } from './protect';
import { refused } from './errors';
import { matches } from '../../src-shared/action-values';
import { IN_FORCE, type Journal, type ListFilter, type RestoreReport } from '../store/journal';
import type { AuditLog } from '../store/audit';
import { errorMessage } from '../../src-shared/errors';
import { processKey } from '../../src-shared/identity';

export interface ApplyRequest {
  target: ProcessIdentity;
  /** Process name for the journal, audit and UI. */
  name: string;
  change: Change;
  actor: Actor;
  /** A sentence a person can read: why this change. */
  why: string;
  /**
   * A person was told Allot cannot put this change back with its rights and chose to go ahead.
   * Ignored for the engine and the system: they never make a change Allot cannot undo.
   */
  confirmIrreversible?: boolean;
}

/** An ActionResult plus the journal record it created (null when nothing was journaled). */
export type ActuatorResult = ActionResult & { changeId: number | null };

export interface ExternalChange {
  changeId: number;
  target: ProcessIdentity;
  name: string;
  op: Operation;
  /** What Allot set. */
  expected: Change | null;
  /** What the process has now. */
  actual: Change;
}

export interface ExternalReport {
  external: ExternalChange[];
  /** Changes whose process has exited (marked 'gone'). */
  gone: number[];
}

export interface ActuatorOptions {
  adapter: GuardedAdapter;
  journal: Journal;
  audit: AuditLog;
}

/** Actors that count as a person's decision (may act on externally managed processes). */
export function isPersonActor(actor: Actor): boolean {
  return actor !== 'engine' && actor !== 'system';
}

export class Actuator {
  readonly adapter: GuardedAdapter;
  readonly journal: Journal;
  readonly audit: AuditLog;
  /** One action per process at a time, so journal order matches the order of acts. */
  private readonly chains = new Map<number, Promise<unknown>>();

  constructor(options: ActuatorOptions) {
    this.adapter = options.adapter;
    this.journal = options.journal;
    this.audit = options.audit;
  }

  private serial<T>(pid: number, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(pid) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.chains.set(pid, tail);
    void tail.then(() => {
      if (this.chains.get(pid) === tail) this.chains.delete(pid);
    });
    return next;
  }

  apply(request: ApplyRequest): Promise<ActuatorResult> {
    return this.serial(request.target.pid, () => this.applyNow(request)).catch((error: unknown) => ({
      ...refused('failed', `internal error: ${errorMessage(error)}`),
      changeId: null,
    }));
  }

  async applyMany(requests: readonly ApplyRequest[]): Promise<ActuatorResult[]> {
    return Promise.all(requests.map((r) => this.apply(r)));
  }

  private async applyNow(request: ApplyRequest): Promise<ActuatorResult> {
    const { target, change, actor, why, name } = request;
    const refuse = (refusal: Refusal, changeId: number | null = null, before: Change | null = null): ActuatorResult => {
      this.record(request, 'apply', refusal, changeId, before);
      return { ...refusal, changeId };
    };

    const external = this.journal.externalFor(target);
    if (external && !isPersonActor(actor)) {
      return refuse(refused('external', `managed by someone else since ${new Date(external.detectedAtMs).toISOString()} (${external.detail}); Allot leaves it alone`));
    }
    const rule = await this.adapter.protection(target);
    if (rule === 'gone') return refuse(refused('gone', 'the process has exited; nothing was changed'));
    if (rule !== null) return refuse(refused('protected', describeRule(rule), { rule }));

    if (change.op === 'terminate') {
      const result = await this.adapter.apply(target, change);
      this.record(request, 'apply', result, null, null);
      return { ...result, changeId: null };
    }

    const read = await this.adapter.read(target, change.op);
    if (read.kind === 'refused') return refuse(read);
    // A change of the same operation already in force carries the true original.
    const previous = this.journal.inForceFor(target, change.op);
    const original = previous?.before ?? read.value;
    const record = this.journal.begin({ target, name, actor, change, before: original, why });

    const confirmed = request.confirmIrreversible === true && isPersonActor(actor);
    const result = await this.adapter.apply(target, change, { irreversible: confirmed ? 'allow' : 'refuse' });
    if (result.kind === 'applied') {
      this.journal.markApplied(record.id, result.after ?? null, result.note);
      if (isPersonActor(actor)) this.journal.clearExternal(target);
      this.record(request, 'apply', result, record.id, original);
      return { ...result, changeId: record.id };
    }
    if (result.reason === 'ineffective' || result.reason === 'failed') {
      // The OS may have changed something; put the value from before this request back.
      const back = await this.adapter.restore(target, read.value);
      this.journal.setStatus(record.id, 'failed', `${result.message}${back.kind === 'applied' ? '' : `; putting the old value back failed: ${back.message}`}`);
    } else {
      this.journal.setStatus(record.id, 'failed', result.message);
    }
    this.record(request, 'apply', result, record.id, original);
    return { ...result, changeId: record.id };
  }

  /** Put back the original value of one change (and of the changes it superseded). */
  async undo(changeId: number, actor: Actor, why = 'undo'): Promise<ActuatorResult> {
    const record = this.journal.get(changeId);
    if (!record) return { ...refused('invalid', `no change with id ${changeId}`), changeId: null };
    return this.serial(record.target.pid, async () => {
      const current = this.journal.get(changeId);
      // A restore that failed before is tried again.
      if (!current || !IN_FORCE.includes(current.status)) {
        return { ...refused('invalid', `change ${changeId} is not in force (${current?.status ?? 'missing'})`), changeId };
      }
      const outcome = await this.journal.restoreOne(this.adapter, current);
      this.audit.append({
        actor,
        action: 'undo',
        op: current.change.op,
        target: current.target,
        name: current.name,
        before: current.after,
        after: outcome.result.kind === 'applied' ? (outcome.result.after ?? current.before) : null,
        why,
        result: outcome.result.kind,
        reason: outcome.result.kind === 'refused' ? outcome.result.reason : null,
        message: outcome.result.kind === 'refused' ? outcome.result.message : null,
        changeId,
      });
      await this.adapter.cleanup();
      return { ...outcome.result, changeId };
    });
  }

  listChanges(filter: ListFilter = {}): ChangeRecord[] {
    return this.journal.list(filter);
  }

  /** Every change still in force goes back. For exit, engine off, and start after a crash. */
  async restoreAll(actor: Actor = 'system', why = 'restore on stop'): Promise<RestoreReport> {
    const report = await this.journal.restoreAll(this.adapter);
    for (const outcome of report.outcomes) {
      const record = this.journal.get(outcome.changeId);
      this.audit.append({
        actor,
        action: 'restore',
        op: outcome.op,
        target: outcome.target,
        name: outcome.name,
        before: record?.after ?? null,
        after: outcome.result.kind === 'applied' ? (outcome.result.after ?? record?.before ?? null) : null,
        why,
        result: outcome.result.kind,
        reason: outcome.result.kind === 'refused' ? outcome.result.reason : null,
        message: outcome.result.kind === 'refused' ? outcome.result.message : null,
        changeId: outcome.changeId,
      });
    }
    return report;
  }

  /**
   * Compare each applied change with what the process has now. `processes` limits the check to
   * these identities (e.g. the latest sample); omitted = every change in force. A different value
   * means someone else changed it: mark the change 'external', record the process, audit, report.
   */
  async checkExternal(processes?: ReadonlyArray<{ pid: number; startTime: number }>): Promise<ExternalReport> {
    const wanted = processes ? new Set(processes.map(processKey)) : null;
    const report: ExternalReport = { external: [], gone: [] };
    for (const record of this.journal.inForce()) {
      if ((record.status !== 'applied' && record.status !== 'restore-failed') || record.after === null) continue;
      if (wanted && !wanted.has(processKey(record.target))) continue;
      if (record.change.op === 'terminate') continue;
      await this.serial(record.target.pid, async () => {
        const current = this.journal.get(record.id);
        if (!current || (current.status !== 'applied' && current.status !== 'restore-failed') || current.after === null || current.change.op === 'terminate') return;
        const read = await this.adapter.read(current.target, current.change.op);
        if (read.kind === 'refused') {
          if (read.reason === 'gone') {
            this.journal.setStatus(current.id, 'gone', 'the process exited');
            report.gone.push(current.id);
          }
          return;
        }
        if (matches(current.after, read.value)) return;
        // A refused restore that got partly done (the main thread is back at the original, a thread
        // refused): not someone else's change; the next restore tries the rest.
        if (current.status === 'restore-failed' && current.before && matches(current.before, read.value)) return;
        // Someone else's value wins; what is still Allot's (the session's autogroup nice when an
        // outsider reniced the threads) goes back now, or it would stay Allot's for good.
        const outcome = await this.journal.restoreOne(this.adapter, current, { current: read.value, outsider: true });
        if (outcome.status === 'gone') {
          report.gone.push(current.id);
          return;
        }
        const detail = `${current.change.op} changed to ${JSON.stringify(read.value.value)} by someone else${outcome.result.kind === 'applied' && outcome.result.after ? '; the part still Allot\'s was put back' : ''}`.slice(0, 1024);
        if (outcome.status !== 'external') this.journal.setStatus(current.id, 'external', detail);
        this.journal.markExternal(current.target, current.change.op, detail);
        this.audit.append({
          actor: 'system',
          action: 'external',
          op: current.change.op,
          target: current.target,
          name: current.name,
          before: current.after,
          after: read.value,
          why: 'someone else changed a value Allot had set; Allot backs off',
          result: 'info',
          reason: 'external',
          message: detail,
          changeId: current.id,
        });
        report.external.push({ changeId: current.id, target: current.target, name: current.name, op: current.change.op, expected: current.after, actual: read.value });
      });
    }
    return report;
  }

  private record(request: ApplyRequest, action: string, result: ActionResult, changeId: number | null, original: Change | null): void {
    // A person's answer to "Allot cannot raise it back without administrator rights: continue?" is audited.
    const confirmation = request.confirmIrreversible === true && isPersonActor(request.actor) ? 'confirmed by a person although Allot may not be able to undo it with its rights' : null;
    const message = result.kind === 'refused' ? result.message : (result.note ?? null);
    this.audit.append({
      actor: request.actor,
      action,
      op: request.change.op,
      target: request.target,
      name: request.name,
      before: result.before ?? original,
      after: result.kind === 'applied' ? (result.after ?? null) : null,
      why: request.why,
      result: result.kind,
      reason: result.kind === 'refused' ? result.reason : null,
      message: confirmation ? [confirmation, message].filter(Boolean).join('; ').slice(0, 1024) : message,
      changeId,
    });
  }
}
