// Engine vocabulary shared by the engine, the actuator and the UI: tiers, modes, process classes,
// the change a decision asks for, decisions, alerts, measured effects and engine events.
// Pure: zod schemas first, TypeScript types inferred from them.
import { z } from 'zod';
import { IoClassSchema } from './domain';

const nonNeg = () => z.number().finite().nonnegative();
const int = () => z.number().int();

/**
 * Tiers, highest first. A tier is a policy intent; the platform adapter maps it to OS knobs
 * (`TIER_DEFAULTS` is the suggested mapping). 'realtime' means "audio-like, latency critical" but
 * never real-time scheduling: Allot does not hand out SCHED_FIFO/RR.
 */
export const TIERS = ['realtime', 'foreground', 'interactive', 'normal', 'background', 'batch'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

/** 0 = highest. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** Suggested OS mapping of a tier (Linux terms; other OSes map nice to their priority classes). */
export const TIER_DEFAULTS: Record<Tier, { nice: number; ioClass: z.infer<typeof IoClassSchema>; ioLevel: number }> = {
  realtime: { nice: -10, ioClass: 'best-effort', ioLevel: 0 },
  foreground: { nice: -5, ioClass: 'best-effort', ioLevel: 2 },
  interactive: { nice: 0, ioClass: 'best-effort', ioLevel: 4 },
  normal: { nice: 0, ioClass: 'best-effort', ioLevel: 4 },
  background: { nice: 10, ioClass: 'best-effort', ioLevel: 7 },
  batch: { nice: 19, ioClass: 'idle', ioLevel: 7 },
};

/** Weight of a tier in the planner's cost/benefit (latency of a higher tier counts more). */
export const TIER_WEIGHTS: Record<Tier, number> = {
  realtime: 16,
  foreground: 8,
  interactive: 4,
  normal: 1,
  background: 0.5,
  batch: 0.25,
};

export const ModeSchema = z.enum(['off', 'advise', 'auto']);
export type Mode = z.infer<typeof ModeSchema>;

export const ProcessClassSchema = z.enum(['foreground', 'interactive', 'batch', 'background', 'system']);
export type ProcessClass = z.infer<typeof ProcessClassSchema>;

export const IoPrioritySchema = z.strictObject({
  class: IoClassSchema,
  level: int().min(0).max(7),
});
export type IoPriority = z.infer<typeof IoPrioritySchema>;

/**
 * What a decision asks the actuator to do. `nice` is the absolute target value; `cpuCap` is percent
 * of one core (100 = one full core, may exceed 100); `memoryLimit` is a soft limit in bytes
 * (cgroup memory.high, job object on Windows); `null` values mean "remove the limit".
 */
export const IntentSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('nice'), value: int().min(-20).max(19) }),
  z.strictObject({ op: z.literal('tier'), value: TierSchema }),
  /** The nice of the process's whole session (Linux autogroup): everything it runs and starts later. */
  z.strictObject({ op: z.literal('sessionNice'), value: int().min(-20).max(19) }),
  z.strictObject({ op: z.literal('affinity'), value: z.array(int().nonnegative()).max(4096) }),
  z.strictObject({ op: z.literal('ioPriority'), value: IoPrioritySchema }),
  z.strictObject({ op: z.literal('cpuCap'), value: nonNeg().nullable() }),
  z.strictObject({ op: z.literal('memoryLimit'), value: nonNeg().nullable() }),
]);
export type Intent = z.infer<typeof IntentSchema>;
export type IntentOp = Intent['op'];

export const DecisionSourceSchema = z.enum(['balancer', 'planner', 'rule', 'feedback', 'tenant']);
export type DecisionSource = z.infer<typeof DecisionSourceSchema>;

export const DecisionTargetSchema = z.strictObject({
  pid: int().positive(),
  startTime: nonNeg(),
  name: z.string().max(1024),
  programId: z.string().max(1024),
});
export type DecisionTarget = z.infer<typeof DecisionTargetSchema>;

export const DecisionSchema = z.strictObject({
  /** Deterministic id: the same inputs give the same ids. */
  id: z.string().max(128),
  /** Sample time the decision was taken at, epoch ms. */
  at: nonNeg(),
  target: DecisionTargetSchema,
  change: IntentSchema,
  /** The change that undoes this one (the value before), when known. */
  undo: IntentSchema.optional(),
  /** One or two sentences a person can read. */
  reason: z.string().max(2048),
  /** The figures behind the decision, units in the key names. */
  numbers: z.record(z.string().max(64), z.number()),
  expectedEffect: z.string().max(1024),
  source: DecisionSourceSchema,
  /** Set when this decision undoes an earlier one. */
  revertOf: z.string().max(128).optional(),
  /** False in Advise mode: show, do not apply. */
  apply: z.boolean(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const AlertKindSchema = z.enum([
  'runaway-cpu',
  'memory-leak',
  'memory-exhaustion',
  'fork-storm',
  'outside-profile',
  'tenant-over-budget',
]);
export type AlertKind = z.infer<typeof AlertKindSchema>;

export const AlertSchema = z.strictObject({
  id: z.string().max(128),
  at: nonNeg(),
  kind: AlertKindSchema,
  severity: z.enum(['info', 'warning', 'critical']),
  target: DecisionTargetSchema.optional(),
  /** Tenant id for tenant alerts. */
  tenant: z.string().max(256).optional(),
  message: z.string().max(2048),
  evidence: z.record(z.string().max(64), z.number()),
});
export type Alert = z.infer<typeof AlertSchema>;

/** What the actuator reports for each decision it was given. */
export const IntentResultSchema = z.strictObject({
  decisionId: z.string().max(128),
  at: nonNeg(),
  status: z.enum(['applied', 'failed', 'unsupported', 'gone', 'skipped']),
  message: z.string().max(1024).optional(),
});
export type IntentResult = z.infer<typeof IntentResultSchema>;

export const EffectSchema = z.strictObject({
  decisionId: z.string().max(128),
  at: nonNeg(),
  verdict: z.enum(['helped', 'no-effect', 'hurt', 'unknown']),
  /** before/after figures: protected run-queue wait ms/s, protected CPU %, PSI cpu some avg10. */
  numbers: z.record(z.string().max(64), z.number()),
  reverted: z.boolean(),
});
export type Effect = z.infer<typeof EffectSchema>;

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('decision'), at: nonNeg(), decision: DecisionSchema }),
  z.strictObject({ type: z.literal('alert'), at: nonNeg(), alert: AlertSchema }),
  z.strictObject({ type: z.literal('effect'), at: nonNeg(), effect: EffectSchema }),
  z.strictObject({
    type: z.literal('trigger'),
    at: nonNeg(),
    triggerId: z.string().max(128),
    state: z.enum(['fired', 'cleared']),
    /** The metric's value at the transition (absent when the metric disappeared). */
    value: z.number().finite().optional(),
  }),
  z.strictObject({ type: z.literal('profile-changed'), at: nonNeg(), profileId: z.string().max(128), cause: z.string().max(512) }),
  z.strictObject({ type: z.literal('mode-changed'), at: nonNeg(), mode: ModeSchema }),
  /** Someone else changed a process Allot had changed: Allot backs off. */
  z.strictObject({ type: z.literal('backoff'), at: nonNeg(), target: DecisionTargetSchema, message: z.string().max(1024) }),
  z.strictObject({ type: z.literal('action-failed'), at: nonNeg(), decisionId: z.string().max(128), message: z.string().max(1024) }),
  z.strictObject({ type: z.literal('degraded'), at: nonNeg(), what: z.string().max(128), reason: z.string().max(1024) }),
]);
export type EngineEvent = z.infer<typeof EngineEventSchema>;
export type EngineEventType = EngineEvent['type'];
