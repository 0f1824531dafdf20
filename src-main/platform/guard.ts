// The guard every OS adapter is wrapped in before anyone else sees it (see createPlatformAdapter in
// index.ts). Before each change it asks the inner adapter to describe the target and refuses with
// `refused/protected` (naming the rule) when the never-touch list matches. Reads pass through.
// It also validates every change against the shared schema, so bad input changes nothing.
import type { ProcessIdentity } from '../../src-shared/domain';
import { ProcessIdentitySchema } from '../../src-shared/domain';
import { ChangeSchema, type ActionResult, type Change } from '../../src-shared/actions';
import { namedOperations, type ApplyOptions, type PlatformAdapter, type ProcessFacts } from './types';
import { describeRule, protectionRule, type Exclusion, type ProtectionPolicy } from './protect';
import { GONE_MESSAGE, refused } from './errors';
import { errorMessage } from '../../src-shared/errors';

export interface GuardedAdapter extends PlatformAdapter {
  readonly guarded: true;
  /** Replace the user's exclusions (from settings). */
  setExclusions(exclusions: readonly Exclusion[]): void;
  policy(): ProtectionPolicy;
  /** The rule protecting this process, null when it may be changed, 'gone' when it no longer exists. */
  protection(target: ProcessIdentity): Promise<string | null | 'gone'>;
  /**
   * Put back a value Allot journaled before its own change. Checks identity and the hard rules
   * (PID 1, kernel threads, Allot itself) but not user exclusions, names, real-time or OOM rules:
   * those may have started to match after Allot changed the process, and putting the original back
   * is always what the user wants. Only the journal/actuator calls this, with journaled originals.
   */
  restore(target: ProcessIdentity, original: Change): Promise<ActionResult>;
}

const HARD_RULES = new Set(['pid-1', 'kernel-thread', 'allot-itself', 'allot-descendant', 'facts-unreadable']);

export function guardAdapter(inner: PlatformAdapter, initial: ProtectionPolicy): GuardedAdapter {
  let current: ProtectionPolicy = { ...initial, exclusions: [...initial.exclusions] };

  async function facts(target: ProcessIdentity): Promise<ProcessFacts | null | 'error'> {
    try {
      return await inner.describe(target);
    } catch {
      return 'error';
    }
  }

  async function protection(target: ProcessIdentity): Promise<string | null | 'gone'> {
    const described = await facts(target);
    if (described === null) return 'gone';
    // If the facts cannot be read at all, refuse: never act on what we cannot check.
    if (described === 'error') return 'facts-unreadable';
    return protectionRule(described, current);
  }

  async function apply(target: ProcessIdentity, change: Change, restoring = false, options: ApplyOptions = {}): Promise<ActionResult> {
    const validTarget = ProcessIdentitySchema.safeParse(target);
    if (!validTarget.success) return refused('invalid', `not a process identity: ${validTarget.error.issues[0]?.message ?? ''}`);
    const valid = ChangeSchema.safeParse(change);
    if (!valid.success) {
      const issue = valid.error.issues[0];
      return refused('invalid', `bad ${String((change as { op?: unknown })?.op ?? 'change')}: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'}`);
    }
    const rule = await protection(validTarget.data);
    if (rule === 'gone') return refused('gone', GONE_MESSAGE);
    if (rule !== null && (!restoring || HARD_RULES.has(rule))) return refused('protected', describeRule(rule), { rule });
    try {
      // Putting an original back is never refused as irreversible: it is the undo itself.
      return await inner.apply(validTarget.data, valid.data, restoring ? { irreversible: 'allow' } : options);
    } catch (error) {
      return refused('failed', `the adapter failed unexpectedly: ${errorMessage(error)}`);
    }
  }

  const guarded: Omit<GuardedAdapter, keyof ReturnType<typeof namedOperations>> = {
    guarded: true,
    platform: inner.platform,
    capabilities: () => inner.capabilities(),
    read: async (target, op) => {
      try {
        return await inner.read(target, op);
      } catch (error) {
        return refused('failed', `could not read ${op}: ${errorMessage(error)}`);
      }
    },
    apply: (target, change, options) => apply(target, change, false, options),
    restore: (target, original) => apply(target, original, true),
    cleanup: async () => {
      try {
        return await inner.cleanup();
      } catch {
        return [];
      }
    },
    describe: async (target) => {
      const described = await facts(target);
      return described === 'error' ? null : described;
    },
    setExclusions: (exclusions) => {
      current = { ...current, exclusions: [...exclusions] };
    },
    policy: () => current,
    protection,
  };
  return Object.freeze({ ...guarded, ...namedOperations(guarded) });
}
