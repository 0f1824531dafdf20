// What one engine tick produced, as the core publishes it to every UI: decisions with what happened
// when they were applied, alerts, events, a forecast summary, the forecasters' rolling errors and the
// mode. Plain and serializable (no NaN: unknown ratios are null). Pure: zod schemas first.
import { z } from 'zod';
import { RefusalReasonSchema } from './actions';
import { IntentResultSchema, AlertSchema, DecisionSchema, EffectSchema, EngineEventSchema, ModeSchema } from './engine';
import { LIMITS, ProcessIdentitySchema } from './domain';

const nonNeg = () => z.number().finite().nonnegative();
const str = (max = 1024) => z.string().max(max);

/** What the actuator did with one OS change of a decision. */
export const AppliedChangeSchema = z.strictObject({
  op: str(32),
  kind: z.enum(['applied', 'refused']),
  reason: RefusalReasonSchema.optional(),
  message: str().optional(),
  /** Journal record id, when the change was journaled. */
  changeId: z.number().int().positive().nullable(),
});
export type AppliedChange = z.infer<typeof AppliedChangeSchema>;

export const ReportedDecisionSchema = z.strictObject({
  decision: DecisionSchema,
  /** Present when the decision was sent to the actuator (Auto mode, a restore, or advice a person applied). */
  result: IntentResultSchema.optional(),
  changes: z.array(AppliedChangeSchema).max(16).optional(),
});
export type ReportedDecision = z.infer<typeof ReportedDecisionSchema>;

export const HorizonForecastSchema = z.strictObject({
  horizonMs: nonNeg(),
  /** 'point': the value at t + horizon; 'window-mean': the mean over (t, t + horizon]. */
  target: z.enum(['point', 'window-mean']),
  model: str(256),
  p50: z.number().finite(),
  p90: z.number().finite(),
});
export type HorizonForecast = z.infer<typeof HorizonForecastSchema>;

export const ProgramForecastSchema = z.strictObject({
  programId: str(LIMITS.maxNameLength),
  name: str(LIMITS.maxNameLength),
  /** Current CPU (sum over its processes), % of one core. */
  cpuPercent: nonNeg(),
  rssBytes: nonNeg(),
  cpu: z.array(HorizonForecastSchema).max(8),
  rss: z.array(HorizonForecastSchema).max(8),
});
export type ProgramForecast = z.infer<typeof ProgramForecastSchema>;

export const ForecastSummarySchema = z.strictObject({
  /** Whole-machine CPU, 0-100 % of all cores. */
  systemCpu: z.array(HorizonForecastSchema).max(8),
  /** Used memory, bytes. */
  systemMemory: z.array(HorizonForecastSchema).max(8),
  /** Top programs by forecast CPU. */
  programs: z.array(ProgramForecastSchema).max(256),
  /** Per-program series being tracked (bounded). */
  programSeries: z.number().int().nonnegative(),
});
export type ForecastSummary = z.infer<typeof ForecastSummarySchema>;

export const ModelErrorRowSchema = z.strictObject({
  model: str(256),
  mae: nonNeg(),
  /** Rolling MAE / naive MAE; null when the naive MAE is 0. */
  mase: nonNeg().nullable(),
  p90Coverage: nonNeg(),
  n: z.number().int().nonnegative(),
});
export type ModelErrorRow = z.infer<typeof ModelErrorRowSchema>;

export const SeriesErrorsSchema = z.strictObject({
  /** "system.cpu", "system.memory", "program.cpu:<programId>", ... */
  series: str(LIMITS.maxNameLength + 32),
  horizonMs: nonNeg(),
  selected: str(256),
  output: ModelErrorRowSchema,
  /** Every model's row (system series); only the selected and output for program series. */
  models: z.array(ModelErrorRowSchema).max(32),
});
export type SeriesErrors = z.infer<typeof SeriesErrorsSchema>;

export const ExternalChangeReportSchema = z.strictObject({
  changeId: z.number().int().positive(),
  target: ProcessIdentitySchema,
  name: str(LIMITS.maxNameLength),
  op: str(32),
  message: str(),
});

export const TickReportSchema = z.strictObject({
  at: nonNeg(),
  mode: ModeSchema,
  decisions: z.array(ReportedDecisionSchema).max(10_000),
  alerts: z.array(AlertSchema).max(10_000),
  events: z.array(EngineEventSchema).max(20_000),
  forecasts: ForecastSummarySchema,
  modelErrors: z.array(SeriesErrorsSchema).max(1_000),
  /** Changes Allot had made that someone else changed since (Allot backs off). */
  external: z.array(ExternalChangeReportSchema).max(10_000),
  /** Time spent in this tick, ms: forecasts, engine, acting. */
  timing: z.strictObject({ forecastMs: nonNeg(), engineMs: nonNeg(), actMs: nonNeg() }),
});
export type TickReport = z.infer<typeof TickReportSchema>;

/** Result of a person applying one piece of advice. */
export const ApplyAdviceResultSchema = z.discriminatedUnion('kind', [
  /** Sent to the actuator; `decision.result` says what happened. */
  z.strictObject({ kind: z.literal('done'), decision: ReportedDecisionSchema }),
  /** Nothing was done: unknown or expired advice, already applied, or no actuator. */
  z.strictObject({ kind: z.literal('invalid'), message: str() }),
]);
export type ApplyAdviceResult = z.infer<typeof ApplyAdviceResultSchema>;

// ---------------------------------------------------------------- the engine's recent activity

/** What the core keeps of the engine's recent activity (store/engine-log.ts), one kind per item. */
export const ENGINE_LOG_KINDS = ['decision', 'alert', 'effect'] as const;
export const EngineLogKindSchema = z.enum(ENGINE_LOG_KINDS);
export type EngineLogKind = z.infer<typeof EngineLogKindSchema>;

const logSeq = () => z.number().int().positive();
/** One kept item: a decision with its result and OS changes, an alert, or a measured effect. */
export const EngineLogItemSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('decision'), seq: logSeq(), at: nonNeg(), decision: ReportedDecisionSchema }),
  z.strictObject({ kind: z.literal('alert'), seq: logSeq(), at: nonNeg(), alert: AlertSchema }),
  z.strictObject({ kind: z.literal('effect'), seq: logSeq(), at: nonNeg(), effect: EffectSchema }),
]);
export type EngineLogItem = z.infer<typeof EngineLogItemSchema>;

/** Most items one `engine.log` answer carries. */
export const ENGINE_LOG_MAX_PAGE = 1000;

/**
 * Newest first. Page older with the previous answer's `next` (`beforeAt`, and `beforeSeq` to break
 * ties between items of the same millisecond); `kinds` keeps only those kinds.
 */
export const EngineLogQuerySchema = z
  .strictObject({
    limit: z.number().int().min(1).max(ENGINE_LOG_MAX_PAGE),
    beforeAt: nonNeg().optional(),
    beforeSeq: logSeq().optional(),
    kinds: z.array(EngineLogKindSchema).min(1).max(ENGINE_LOG_KINDS.length).optional(),
  })
  .refine((query) => query.beforeSeq === undefined || query.beforeAt !== undefined, { message: 'beforeSeq needs beforeAt', path: ['beforeSeq'] });
export type EngineLogQuery = z.infer<typeof EngineLogQuerySchema>;

export const EngineLogPageSchema = z.strictObject({
  items: z.array(EngineLogItemSchema).max(ENGINE_LOG_MAX_PAGE),
  /** Where the next older page starts; null when nothing older is kept. */
  next: z.strictObject({ beforeAt: nonNeg(), beforeSeq: logSeq() }).nullable(),
});
export type EngineLogPage = z.infer<typeof EngineLogPageSchema>;
