// The one IPC contract. Electron IPC, the WebSocket agent and the local admin socket all carry
// exactly these channels. Each request channel has a zod input and output schema; each event
// channel a payload schema. Types are inferred from the schemas.
import { z } from 'zod';
import type { EventChannelName, RequestChannelName } from './channels';
import {
  ActionResultSchema,
  AuditPageSchema,
  AuditQuerySchema,
  CapabilitiesSchema,
  ChangeRecordSchema,
  ChangeSchema,
} from './actions';
import { SettingsPatchSchema, SettingsSchema } from './settings';
import { ModeSchema } from './engine';
import { ApplyAdviceResultSchema, EngineLogPageSchema, EngineLogQuerySchema, HorizonForecastSchema, TickReportSchema } from './report';
import { LIMITS, ProcessIdentitySchema, SampleSchema, SystemInfoSchema, SystemSampleSchema, ProcessSampleSchema, PlatformSchema } from './domain';
import type { ProcessDelta } from './process-delta';

const Empty = z.strictObject({});

export const AppInfoSchema = z.strictObject({
  name: z.string().max(64),
  version: z.string().max(64),
  runtime: z.enum(['electron', 'node']),
  platform: PlatformSchema,
  pid: z.number().int().positive(),
  intervalMs: z.number().int().positive(),
  startedAtMs: z.number().nonnegative(),
  collector: z.string().max(128),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const SystemSummarySchema = z.strictObject({
  at: z.number().nonnegative(),
  system: SystemSampleSchema,
});
export type SystemSummary = z.infer<typeof SystemSummarySchema>;

export const ProcessSnapshotSchema = z.strictObject({
  at: z.number().nonnegative(),
  processes: z.array(ProcessSampleSchema).max(LIMITS.maxProcesses),
});
export type ProcessSnapshot = z.infer<typeof ProcessSnapshotSchema>;

/** Conditions the UI shows as a banner while they last. */
export const TickStatusSchema = z.strictObject({
  history: z.strictObject({
    state: z.enum(['ok', 'paused']),
    message: z.string().max(1024).optional(),
  }),
});
export type TickStatus = z.infer<typeof TickStatusSchema>;

export const TickSchema = z.strictObject({
  seq: z.number().int().nonnegative(),
  sample: SampleSchema,
  status: TickStatusSchema.optional(),
});
export type Tick = z.infer<typeof TickSchema>;

export const ApplyInputSchema = z.strictObject({
  target: ProcessIdentitySchema,
  change: ChangeSchema,
  /** Why, in a person's words (goes to the audit log). */
  why: z.string().max(1024).optional(),
  /** Undo automatically after this long; absent: until the process exits or someone undoes it. */
  durationMs: z.number().int().min(1000).max(7 * 86_400_000).optional(),
  /**
   * The person was told that Allot cannot put this change back with its rights (a refusal with
   * reason `irreversible`) and chose to go ahead. Without it such a change is refused.
   */
  confirmIrreversible: z.boolean().optional(),
});
export type ApplyInput = z.infer<typeof ApplyInputSchema>;

export const ApplyOutputSchema = z.strictObject({
  result: ActionResultSchema,
  /** Journal id for undo; null when nothing was changed. */
  changeId: z.number().int().positive().nullable(),
});
export type ApplyOutput = z.infer<typeof ApplyOutputSchema>;

export const ChangesListInputSchema = z.strictObject({
  /** Also list changes no longer in force (restored, gone, failed, ...). */
  all: z.boolean().optional(),
  limit: z.number().int().min(1).max(5000).optional(),
});

export const RestoreOutputSchema = z.strictObject({
  restored: z.number().int().nonnegative(),
  gone: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});

// ---------------------------------------------------------------- history and export

const TimeRange = {
  fromMs: z.number().nonnegative(),
  toMs: z.number().nonnegative(),
};
/** One history bucket: bucket keys plus metric columns (camelCase, e.g. cpuPercentMean); null = not measured. */
export const HistoryRowSchema = z.record(
  z.string().max(64),
  z.union([z.number(), z.null(), z.string().max(LIMITS.maxStringLength), z.array(z.number()).max(LIMITS.maxCores)]),
);
export type HistoryRow = z.infer<typeof HistoryRowSchema>;
export const HistorySeriesSchema = z.strictObject({
  /** Bucket width of the tier the rows come from. */
  tierMs: z.number().int().positive(),
  rows: z.array(HistoryRowSchema).max(50_000),
});
export type HistorySeries = z.infer<typeof HistorySeriesSchema>;
export const HistoryResolutionInput = z.number().int().min(1000).max(86_400_000).optional();

export const TopProgramSchema = z.strictObject({
  programId: z.string().max(LIMITS.maxNameLength),
  cpuSeconds: z.number().nonnegative(),
  rssMaxBytes: z.number().nonnegative().nullable(),
  ioBytes: z.number().nonnegative(),
  runningMs: z.number().nonnegative(),
});

export const HistoryStatusSchema = z.strictObject({
  state: z.enum(['ok', 'paused']),
  reason: z.enum(['disk-full', 'io-error', 'write-error']).optional(),
  message: z.string().max(1024).optional(),
  sinceMs: z.number().nonnegative().optional(),
  droppedBuckets: z.number().int().nonnegative().optional(),
  pendingRows: z.number().int().nonnegative(),
  sizeBytes: z.number().nonnegative(),
});
export type HistoryStatusView = z.infer<typeof HistoryStatusSchema>;

export const ExportInputSchema = z.strictObject({
  ...TimeRange,
  format: z.enum(['csv', 'jsonl']),
  level: z.enum(['system', 'program', 'process']),
  programId: z.string().max(LIMITS.maxNameLength).optional(),
});
/** Largest export the UI gets in one answer; larger ranges: `allot export` on the command line. */
export const MAX_EXPORT_BYTES = 32 * 1024 * 1024;
export const ExportOutputSchema = z.strictObject({
  filename: z.string().max(256),
  mime: z.enum(['text/csv', 'application/x-ndjson']),
  rows: z.number().int().nonnegative(),
  text: z.string().max(MAX_EXPORT_BYTES),
});

// ---------------------------------------------------------------- engine, rules, profiles

export const EngineStateViewSchema = z.strictObject({
  /** The mode the user chose (settings.engine.mode). */
  mode: ModeSchema,
  /** The mode in effect now: 'off' while paused. */
  effectiveMode: ModeSchema,
  /** Engine paused until then (epoch ms); null when not paused. */
  pausedUntilMs: z.number().nonnegative().nullable(),
  profileId: z.string().max(64),
  profiles: z.array(z.strictObject({ id: z.string().max(64), name: z.string().max(128), description: z.string().max(1024).optional() })).max(64),
  /** Focused-window detection: the pid, or why it is not available here. */
  foreground: z.strictObject({ pid: z.number().int().positive().optional(), unavailableReason: z.string().max(512).optional() }),
  /** Processes the engine restrains right now. */
  restrained: z.number().int().nonnegative(),
  /** Page-cache warming for programs predicted to start within 5 minutes. */
  prefetch: z.strictObject({
    supported: z.boolean(),
    reason: z.string().max(512).optional(),
    /** Programs whose files are known (learned from /proc/PID/maps when they last ran). */
    programsKnown: z.number().int().nonnegative(),
    recent: z
      .array(
        z.strictObject({
          at: z.number().nonnegative(),
          programId: z.string().max(LIMITS.maxNameLength),
          name: z.string().max(LIMITS.maxNameLength),
          probability: z.number().min(0).max(1),
          files: z.number().int().nonnegative(),
          bytes: z.number().nonnegative(),
        }),
      )
      .max(50),
  }),
  /** The last tick's report (null before the first). */
  lastReport: TickReportSchema.nullable(),
});
export type EngineStateView = z.infer<typeof EngineStateViewSchema>;

const countOf = z.number().int().nonnegative();
/**
 * What the engine did since the core started, counted in the core (for /metrics): a scrape asks for
 * it, so no engine report crosses to the serving thread on ticks nobody looks at.
 */
export const EngineCountersViewSchema = z.strictObject({
  /** The mode of the last tick (null before the first). */
  mode: ModeSchema.nullable(),
  systemCpuForecast: z.array(HorizonForecastSchema).max(8),
  systemMemoryForecast: z.array(HorizonForecastSchema).max(8),
  decisions: z.array(z.strictObject({ source: z.string().max(64), disposition: z.enum(['apply', 'advise']), count: countOf })).max(64),
  actions: z.array(z.strictObject({ op: z.string().max(64), result: z.string().max(64), count: countOf })).max(256),
  alerts: z.array(z.strictObject({ kind: z.string().max(64), severity: z.string().max(32), count: countOf })).max(256),
});
export type EngineCountersView = z.infer<typeof EngineCountersViewSchema>;

/** A rules file must fit one message on every transport even with JSON escaping (1 MiB cap). */
export const MAX_RULES_TEXT_CHARS = 500_000;

export const RulesViewSchema = z.strictObject({
  /** The rules file in force, as JSON text (docs/rules.md describes it). */
  text: z.string().max(MAX_RULES_TEXT_CHARS),
  /** The built-in rules, to start from or go back to. */
  defaultText: z.string().max(MAX_RULES_TEXT_CHARS),
});
export const RulesSetResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), rules: z.number().int().nonnegative(), profiles: z.number().int().nonnegative() }),
  /** Refused: nothing changed. Line and column point into the submitted text. */
  z.strictObject({ ok: z.literal(false), line: z.number().int().nonnegative(), column: z.number().int().nonnegative(), path: z.string().max(512), message: z.string().max(1024) }),
]);
export type RulesSetResult = z.infer<typeof RulesSetResultSchema>;

const QuantilesSchema = z.strictObject({
  count: z.number().int().nonnegative(),
  mean: z.number().finite(),
  p50: z.number().finite().nullable(),
  p90: z.number().finite().nullable(),
  p99: z.number().finite().nullable(),
  max: z.number().finite().nullable(),
});
export const ProgramProfileViewSchema = z.strictObject({
  programId: z.string().max(LIMITS.maxNameLength),
  name: z.string().max(LIMITS.maxNameLength),
  samples: z.number().int().nonnegative(),
  launches: z.number().int().nonnegative(),
  firstSeenAt: z.number().nonnegative(),
  lastSeenAt: z.number().nonnegative(),
  /** cpuPercent (of one core), rssBytes, ioBytesPerSec, syscallsPerSec, ctxSwitchesPerSec, ... */
  metrics: z.record(z.string().max(64), QuantilesSchema),
  lifetimeMs: QuantilesSchema,
  /** Dominant behaviour class and the counts behind it. */
  classCounts: z.record(z.string().max(32), z.number().nonnegative()),
  /** Seconds seen running / launches, per hour of week (index 0 = Monday 00:00 local). */
  runningHourOfWeek: z.array(z.number().nonnegative()).length(168),
  startsHourOfWeek: z.array(z.number().nonnegative()).length(168),
  /** Probability it starts within the next 5 min / 1 h / 1 day. */
  launch: z.strictObject({ within5MinP: z.number().min(0).max(1), within1HourP: z.number().min(0).max(1), within1DayP: z.number().min(0).max(1) }),
  /** Programs it tends to start together with. */
  coStarts: z.array(z.strictObject({ programId: z.string().max(LIMITS.maxNameLength), count: z.number().int().nonnegative() })).max(20),
});
export type ProgramProfileView = z.infer<typeof ProgramProfileViewSchema>;
export const ProgramProfileSummarySchema = ProgramProfileViewSchema.pick({ programId: true, name: true, samples: true, launches: true, lastSeenAt: true, launch: true }).extend({
  cpuP50: z.number().finite().nullable(),
  cpuP90: z.number().finite().nullable(),
  rssP90: z.number().finite().nullable(),
});
export type ProgramProfileSummary = z.infer<typeof ProgramProfileSummarySchema>;

/** Request channels: name -> { input, output }. */
export const requests = {
  'app.info': { input: Empty, output: AppInfoSchema },
  'system.info': { input: Empty, output: SystemInfoSchema },
  'system.summary': { input: Empty, output: SystemSummarySchema },
  'processes.snapshot': { input: Empty, output: ProcessSnapshotSchema },
  'settings.get': { input: Empty, output: SettingsSchema },
  'settings.update': { input: SettingsPatchSchema, output: SettingsSchema },
  'capabilities.get': { input: Empty, output: CapabilitiesSchema },
  'changes.apply': { input: ApplyInputSchema, output: ApplyOutputSchema },
  'changes.undo': { input: z.strictObject({ id: z.number().int().positive() }), output: ActionResultSchema },
  'changes.list': { input: ChangesListInputSchema, output: z.array(ChangeRecordSchema).max(5000) },
  'changes.restoreAll': { input: Empty, output: RestoreOutputSchema },
  'audit.list': { input: AuditQuerySchema, output: AuditPageSchema },
  'history.system': { input: z.strictObject({ ...TimeRange, resolutionMs: HistoryResolutionInput }), output: HistorySeriesSchema },
  'history.program': {
    input: z.strictObject({ ...TimeRange, programId: z.string().min(1).max(LIMITS.maxNameLength), resolutionMs: HistoryResolutionInput }),
    output: HistorySeriesSchema,
  },
  'history.top': {
    input: z.strictObject({ ...TimeRange, by: z.enum(['cpu', 'rss', 'io', 'running']), limit: z.number().int().min(1).max(500).optional() }),
    output: z.array(TopProgramSchema).max(500),
  },
  'history.hourOfWeek': {
    input: z.strictObject({ programId: z.string().min(1).max(LIMITS.maxNameLength), sinceMs: z.number().nonnegative().optional() }),
    output: z.array(z.number().nonnegative()).length(168),
  },
  'history.status': { input: Empty, output: HistoryStatusSchema },
  'export.run': { input: ExportInputSchema, output: ExportOutputSchema },
  'engine.state': { input: Empty, output: EngineStateViewSchema },
  'engine.setMode': { input: z.strictObject({ mode: ModeSchema }), output: EngineStateViewSchema },
  /** Pause the engine (mode off) for N minutes; 0 resumes now. */
  'engine.pause': { input: z.strictObject({ minutes: z.number().int().min(0).max(24 * 60) }), output: EngineStateViewSchema },
  'engine.setProfile': { input: z.strictObject({ profileId: z.string().min(1).max(64) }), output: EngineStateViewSchema },
  'engine.applyAdvice': { input: z.strictObject({ decisionId: z.string().min(1).max(128) }), output: ApplyAdviceResultSchema },
  'engine.counters': { input: Empty, output: EngineCountersViewSchema },
  /** The engine's recent decisions (with results and OS changes), alerts and measured effects, newest first. */
  'engine.log': { input: EngineLogQuerySchema, output: EngineLogPageSchema },
  'rules.get': { input: Empty, output: RulesViewSchema },
  'rules.set': { input: z.strictObject({ text: z.string().max(MAX_RULES_TEXT_CHARS) }), output: RulesSetResultSchema },
  'profiles.list': { input: z.strictObject({ limit: z.number().int().min(1).max(1000).optional() }), output: z.array(ProgramProfileSummarySchema).max(1000) },
  'profiles.get': { input: z.strictObject({ programId: z.string().min(1).max(LIMITS.maxNameLength) }), output: ProgramProfileViewSchema },
} as const;

/** Event channels: name -> payload schema. */
export const events = {
  tick: TickSchema,
  /** A journaled change was made, undone, restored or taken over by someone else. */
  changes: z.strictObject({ changes: z.array(ChangeRecordSchema).max(5000) }),
  /** What the engine did this tick: decisions and results, alerts, forecasts, model errors. */
  engine: TickReportSchema,
} as const;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;
export type RequestInput<C extends RequestChannel> = z.infer<(typeof requests)[C]['input']>;
export type RequestOutput<C extends RequestChannel> = z.infer<(typeof requests)[C]['output']>;
export type EventPayload<E extends EventChannel> = z.infer<(typeof events)[E]>;

export const requestChannels = Object.keys(requests) as RequestChannel[];
export const eventChannels = Object.keys(events) as EventChannel[];

// channels.ts (schema-free, for the preload) must list exactly these channels.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestNamesMatch: Same<RequestChannel, RequestChannelName> = true;
const eventNamesMatch: Same<EventChannel, EventChannelName> = true;
void requestNamesMatch;
void eventNamesMatch;

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(requests, value);
}
export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value);
}

// ---------------------------------------------------------------- errors and results

export const ErrorCodeSchema = z.enum([
  'invalid-channel',
  'invalid-input',
  'invalid-output',
  'unauthorized',
  'forbidden',
  'not-ready',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ContractErrorSchema = z.strictObject({
  code: ErrorCodeSchema,
  message: z.string().max(4096),
  /** Where in the payload validation failed, for invalid-input. */
  issues: z.array(z.strictObject({ path: z.string().max(512), message: z.string().max(512) })).max(32).optional(),
});
export type ContractError = z.infer<typeof ContractErrorSchema>;

/** Thrown on the calling side when a request fails; carries the typed error. */
export class RequestError extends Error {
  readonly code: ErrorCode;
  readonly issues: ContractError['issues'];
  constructor(error: ContractError) {
    super(error.message);
    this.name = 'RequestError';
    this.code = error.code;
    this.issues = error.issues;
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ContractError };

export function zodToContractError(code: ErrorCode, prefix: string, error: z.ZodError): ContractError {
  const issues = error.issues.slice(0, 32).map((issue) => ({
    path: issue.path.map(String).join('.').slice(0, 512),
    message: issue.message.slice(0, 512),
  }));
  const first = issues[0];
  const where = first && first.path ? ` at ${first.path}` : '';
  return { code, message: `${prefix}${where}: ${first?.message ?? 'invalid'}`.slice(0, 4096), issues };
}

/** Validate a request as it arrives from an untrusted peer. */
export function parseRequest(
  channel: unknown,
  payload: unknown,
): Result<{ channel: RequestChannel; input: RequestInput<RequestChannel> }> {
  if (!isRequestChannel(channel)) {
    return { ok: false, error: { code: 'invalid-channel', message: `unknown request channel ${JSON.stringify(String(channel)).slice(0, 200)}` } };
  }
  const parsed = requests[channel].input.safeParse(payload === undefined ? {} : payload);
  if (!parsed.success) return { ok: false, error: zodToContractError('invalid-input', `invalid input for ${channel}`, parsed.error) };
  return { ok: true, value: { channel, input: parsed.data as RequestInput<RequestChannel> } };
}

/** Validate a response before it leaves the core (a bug here must not reach the UI as garbage). */
export function parseResponse<C extends RequestChannel>(channel: C, value: unknown): Result<RequestOutput<C>> {
  const parsed = requests[channel].output.safeParse(value);
  if (!parsed.success) return { ok: false, error: zodToContractError('invalid-output', `invalid output from ${channel}`, parsed.error) };
  return { ok: true, value: parsed.data as RequestOutput<C> };
}

export function parseEvent<E extends EventChannel>(event: E, payload: unknown): Result<EventPayload<E>> {
  const parsed = events[event].safeParse(payload);
  if (!parsed.success) return { ok: false, error: zodToContractError('invalid-output', `invalid payload for event ${event}`, parsed.error) };
  return { ok: true, value: parsed.data as EventPayload<E> };
}

/** The API every transport offers the renderer (and the CLI). */
export interface AllotApi {
  invoke<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>>;
  subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** What the preload exposes as `window.allot`: untyped at the boundary, typed by ipc/client. */
export interface AllotBridge {
  invoke(channel: string, payload: unknown): Promise<Result<unknown>>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
}

// ---------------------------------------------------------------- WebSocket wire format

export const WsClientMessageSchema = z.strictObject({
  type: z.literal('request'),
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  channel: z.string().max(128),
  payload: z.unknown(),
});
export type WsClientMessage = z.infer<typeof WsClientMessageSchema>;

export type WsServerMessage =
  | { type: 'response'; id: number; result: Result<unknown> }
  | { type: 'event'; event: EventChannel; payload: unknown }
  /**
   * The tick event with its processes as a delta against the previous tick sent on this connection
   * (see process-delta.ts); `payload.sample.processes` is empty on the wire.
   */
  | { type: 'tick'; payload: Tick; processes: ProcessDelta };

/**
 * The tick event over Electron IPC: the processes as a delta against the previous tick sent to that
 * renderer, `complete` when the delta starts from nothing (a new or reloaded page, and every
 * TICK_KEYFRAME_EVERY ticks, so a renderer that missed one is whole again soon).
 */
export interface IpcTickMessage {
  tick: Tick;
  processes: ProcessDelta;
  complete: boolean;
}
export const TICK_KEYFRAME_EVERY = 30;

/** Largest message a peer may send us; larger frames are refused before parsing. */
export const MAX_CLIENT_MESSAGE_BYTES = 1_048_576;
