// Elevation on demand: a decorator around the guarded adapter that retries a PERSON's change the OS
// refused for lack of privilege through the privileged helper (src-main/helper: on Linux `pkexec
// allot-helper`, which asks for the administrator password). OS APIs: none directly; the helper
// client (child_process.spawn of pkexec with a fixed argv, one JSON line each way) and
// node:async_hooks AsyncLocalStorage to know whether the current call comes from a person.
//
// Rules:
// - Only inside withElevation(): the core wraps a person's request (user, cli, agent:*) in it; the
//   engine never is, so an automatic decision never raises a password prompt or escalates.
//   The grant ends when that request settles: a timer or promise chain started inside it and
//   running later (an override's expiry, a queued engine step) no longer elevates.
// - Only after the guarded adapter refused with reason `permission`: the never-touch list, identity
//   and value checks all ran first and passed. Before calling the helper the protection rule is
//   checked once more (defense in depth); the helper re-checks identity and the never-touch list
//   itself as root (execute.linux.ts).
// - Only for what the helper supports: priority (renice), affinity (setAffinity), ioPriority
//   (setIoPriority), and restoring those. cgroup settings, efficiency mode, suspend and terminate are
//   returned as refused.
// - The result is read back through the inner adapter, so `after` is what the app itself sees.
// - Never throws.
// The decorator sits below the actuator, so journaling, the external-change check and the audit log
// are unchanged; an elevated change is journaled and restored like any other.
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import type { ProcessIdentity } from '../../src-shared/domain';
import type { ActionResult, Change, Refusal } from '../../src-shared/actions';
import { defaultHelperPath, linuxHelperLaunch, runHelper, type HelperLaunch, type LaunchPlan } from './client';
import type { HelperRequest, HelperResponse, RestoreOriginal } from './protocol';
import type { GuardedAdapter } from '../platform/guard';
import { namedOperations, type ApplyOptions } from '../platform/types';
import { describeRule } from '../platform/protect';
import { GONE_MESSAGE, refused } from '../platform/errors';
import { matches } from '../../src-shared/action-values';
import { errorMessage } from '../../src-shared/errors';

/** Whether the code running now acts for a person who may be asked for administrator rights. */
export const elevation = new AsyncLocalStorage<{ allowed: boolean }>();

/**
 * Run fn as a person's request: a `permission` refusal inside it is retried through the privileged
 * helper. The grant is revoked when fn settles, so work fn leaves behind does not inherit it.
 */
export function withElevation<T>(fn: () => Promise<T>): Promise<T> {
  const grant = { allowed: true };
  return elevation.run(grant, async () => {
    try {
      return await fn();
    } finally {
      grant.allowed = false;
    }
  });
}

/** True inside withElevation() while its fn is running. */
export function elevationAllowed(): boolean {
  return elevation.getStore()?.allowed === true;
}

/** Runs one helper request with administrator rights. Must not throw (a refusal is an answer). */
export interface ElevationHelper {
  run(request: HelperRequest): Promise<HelperResponse>;
}

/** Rules that still apply when putting an original value back (as in GuardedAdapter.restore). */
const HARD_RULES = new Set(['pid-1', 'kernel-thread', 'allot-itself', 'allot-descendant', 'facts-unreadable']);
const NOTE_ELEVATED = 'done with administrator rights (privileged helper)';
const MAX_NOTE = 1024;

type Elevatable = Extract<Change, { op: 'priority' | 'affinity' | 'ioPriority' }>;

function elevatable(change: Change): change is Elevatable {
  return change.op === 'priority' || change.op === 'affinity' || change.op === 'ioPriority';
}

/**
 * The helper's form of a value. `autogroupNice` has no field there: the helper decides it itself.
 * A restore carries the threads that had their own value; a change does not (the helper reads them
 * itself, as any change does).
 */
function toOriginal(change: Elevatable, restoring: boolean): Exclude<RestoreOriginal, { verb: 'cgroupWrite' }> {
  switch (change.op) {
    case 'priority':
      return { verb: 'renice', nice: change.value.nice, ...(restoring && change.value.threadNice ? { threadNice: change.value.threadNice } : {}) };
    case 'affinity':
      return { verb: 'setAffinity', cpus: [...new Set(change.value.cpus)], ...(restoring && change.value.threadCpus ? { threadCpus: change.value.threadCpus } : {}) };
    case 'ioPriority':
      return { verb: 'setIoPriority', ioClass: change.value.ioClass, level: change.value.level, ...(restoring && change.value.threadIo ? { threadIo: change.value.threadIo } : {}) };
  }
}

export function helperRequestFor(target: ProcessIdentity, change: Elevatable, restoring: boolean): HelperRequest {
  const original = toOriginal(change, restoring);
  if (restoring) return { verb: 'restore', pid: target.pid, startTime: target.startTime, original };
  const { verb } = original;
  if (verb === 'renice') return { verb, nice: original.nice, pid: target.pid, startTime: target.startTime };
  if (verb === 'setAffinity') return { verb, cpus: original.cpus, pid: target.pid, startTime: target.startTime };
  return { verb, ioClass: original.ioClass, level: original.level, pid: target.pid, startTime: target.startTime };
}

function joinNotes(...notes: Array<string | undefined>): string {
  return notes.filter((n): n is string => n !== undefined && n !== '').join('; ').slice(0, MAX_NOTE);
}

/**
 * Wrap a guarded adapter so a person's permission refusals go through `helper`. Every other call,
 * and every call outside withElevation(), is the inner adapter's, unchanged.
 */
export function elevatingAdapter(inner: GuardedAdapter, helper: ElevationHelper): GuardedAdapter {
  async function elevate(target: ProcessIdentity, change: Elevatable, refusal: Refusal, restoring: boolean): Promise<ActionResult> {
    const before = refusal.before;
    const withBefore = (r: Refusal): Refusal => (before !== undefined && r.before === undefined ? { ...r, before } : r);
    // The inner guard passed already (the OS refused, not the guard); check once more right before
    // handing the target to a process that runs as root.
    const rule = await inner.protection(target);
    if (rule === 'gone') return withBefore(refused('gone', GONE_MESSAGE));
    if (rule !== null && (!restoring || HARD_RULES.has(rule))) return withBefore(refused('protected', describeRule(rule), { rule }));

    const request = helperRequestFor(target, change, restoring);
    let response: HelperResponse;
    try {
      response = await helper.run(request);
    } catch (error) {
      return withBefore(refused('failed', `the privileged helper failed: ${errorMessage(error)}`));
    }
    if (response.verb !== null && response.verb !== request.verb) {
      return withBefore(refused('failed', `the privileged helper answered ${response.verb} to a ${request.verb} request; nothing is assumed changed`));
    }
    const result = response.result;
    if (result.kind === 'refused') return withBefore(result);

    // Applied as root: read back what the app itself sees now.
    const read = await inner.read(target, change.op);
    const helperBefore = result.before ?? before;
    const beforePart = helperBefore !== undefined ? { before: helperBefore } : {};
    if (read.kind === 'refused') {
      if (read.reason === 'gone') return { ...refused('gone', 'the process exited right after the change'), ...beforePart };
      return {
        kind: 'applied',
        ...beforePart,
        ...(result.after !== undefined ? { after: result.after } : {}),
        note: joinNotes(result.note, NOTE_ELEVATED, `could not read the value back: ${read.message}`),
      };
    }
    const after = read.value;
    // The helper has no autogroup field; compare the per-thread nice and say so when the session's
    // autogroup nice ended up different from the one asked for.
    let autogroupNote: string | undefined;
    let wanted: Change = change;
    if (change.op === 'priority' && change.value.autogroupNice !== undefined) {
      wanted = { op: 'priority', value: { nice: change.value.nice } };
      const got = after.op === 'priority' ? after.value.autogroupNice : undefined;
      if (got !== change.value.autogroupNice) {
        autogroupNote = `the session autogroup nice is ${got ?? 'unknown'}, not ${change.value.autogroupNice} (the helper sets it only when the process is alone in its session)`;
      }
    }
    if (!matches(wanted, after)) {
      return { ...refused('ineffective', `the privileged helper reported success but the value reads back ${JSON.stringify(after.value)}`), ...beforePart };
    }
    return { kind: 'applied', ...beforePart, after, note: joinNotes(result.note, NOTE_ELEVATED, autogroupNote) };
  }

  async function attempt(target: ProcessIdentity, change: Change, restoring: boolean, options?: ApplyOptions): Promise<ActionResult> {
    let result: ActionResult;
    try {
      result = restoring ? await inner.restore(target, change) : await inner.apply(target, change, options);
    } catch (error) {
      return refused('failed', `the adapter failed unexpectedly: ${errorMessage(error)}`);
    }
    if (result.kind !== 'refused' || result.reason !== 'permission' || !elevationAllowed() || !elevatable(change)) return result;
    try {
      return await elevate(target, change, result, restoring);
    } catch (error) {
      return refused('failed', `elevation failed unexpectedly: ${errorMessage(error)}`, result.before ? { before: result.before } : {});
    }
  }

  const core: Omit<GuardedAdapter, keyof ReturnType<typeof namedOperations>> = {
    guarded: true,
    platform: inner.platform,
    capabilities: () => {
      const report = inner.capabilities();
      const note = 'When you change priority, affinity or I/O priority and the OS refuses for lack of privilege, Allot asks for the administrator password (pkexec) and makes the change through its privileged helper. The engine never does.';
      return { ...report, notes: [...report.notes, note].slice(0, 32) };
    },
    read: (target, op) => inner.read(target, op),
    apply: (target, change, options) => attempt(target, change, false, options),
    restore: (target, original) => attempt(target, original, true),
    cleanup: () => inner.cleanup(),
    describe: (target) => inner.describe(target),
    setExclusions: (exclusions) => inner.setExclusions(exclusions),
    policy: () => inner.policy(),
    protection: (target) => inner.protection(target),
  };
  return Object.freeze({ ...core, ...namedOperations(core) });
}

export interface LinuxElevationOptions {
  /** The helper script; defaults to defaultHelperPath() of the location fields below. */
  helperPath?: string;
  isPackaged?: boolean;
  /** process.resourcesPath in a packaged Electron app. */
  resourcesPath?: string;
  /** The checkout or app root (out/helper/allot-helper.cjs under it in development). Defaults to the working directory. */
  appRoot?: string;
  euid?: number;
  nodePath?: string;
  pkexecPath?: string;
  /** Replaces the pkexec launch (tests, or another way to run the helper as root). The request never becomes an argument. */
  launch?: HelperLaunch;
  /** How long to wait, including the password prompt; defaults to the client's HELPER_TIMEOUT_MS. */
  timeoutMs?: number;
}

export const HELPER_MISSING_MESSAGE = 'the privileged helper is not installed (run npm run build:helper)';

/**
 * The real helper on Linux: pkexec + the bundled helper script (or node + script when already
 * root). A missing script is a `permission` refusal saying how to build it. Never throws.
 */
export function createLinuxElevationHelper(options: LinuxElevationOptions = {}): ElevationHelper & { readonly helperPath: string } {
  const helperPath =
    options.helperPath ??
    defaultHelperPath({
      isPackaged: options.isPackaged ?? false,
      ...(options.resourcesPath !== undefined ? { resourcesPath: options.resourcesPath } : {}),
      appRoot: options.appRoot ?? process.cwd(),
    });
  return {
    helperPath,
    run: async (request) => {
      try {
        if (!existsSync(helperPath)) return { verb: request.verb, result: refused('permission', HELPER_MISSING_MESSAGE) };
        const plan: LaunchPlan = options.launch
          ? { ok: true, launch: options.launch }
          : linuxHelperLaunch({
              helperPath,
              ...(options.euid !== undefined ? { euid: options.euid } : {}),
              ...(options.nodePath !== undefined ? { nodePath: options.nodePath } : {}),
              ...(options.pkexecPath !== undefined ? { pkexecPath: options.pkexecPath } : {}),
            });
        if (!plan.ok) return { verb: request.verb, result: plan.result };
        return await runHelper(request, plan.launch, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
      } catch (error) {
        return { verb: request.verb, result: refused('failed', `could not run the privileged helper: ${errorMessage(error)}`) };
      }
    },
  };
}
