// User settings: one zod schema, the defaults, and the shape of a partial update.
// Pure: no electron, no node:*, no DOM. Persisted by src-main/store/settings.ts; travels over IPC as-is.
import { z } from 'zod';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const MIB = 1024 * 1024;

export const INTERVAL_MS_MIN = 250;
export const INTERVAL_MS_MAX = 10_000;

export const ThemeSchema = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof ThemeSchema>;

export const EngineModeSchema = z.enum(['off', 'advise', 'auto']);
export type EngineMode = z.infer<typeof EngineModeSchema>;

/**
 * Who may read the agent's Prometheus `/metrics`: nobody; holders of a viewer (or operator) token;
 * or any client connecting from this machine (loopback), without a token, e.g. a local Prometheus.
 */
export const MetricsAccessSchema = z.enum(['off', 'token', 'loopback']);
export type MetricsAccess = z.infer<typeof MetricsAccessSchema>;

/** Which per-process rows history keeps (finest tier only): none, those with CPU or I/O in the bucket, or all. */
export const ProcessRowsSchema = z.enum(['off', 'active', 'all']);
export type ProcessRows = z.infer<typeof ProcessRowsSchema>;

const retention = (minMs: number, maxMs: number) => z.number().int().min(minMs).max(maxMs);

export const HistorySettingsSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** How long each tier's buckets are kept. */
    retention10sMs: retention(HOUR_MS, 30 * DAY_MS),
    retention1mMs: retention(DAY_MS, 365 * DAY_MS),
    retention1hMs: retention(7 * DAY_MS, 10 * 365 * DAY_MS),
    /** Size cap of the database file; oldest rows of the finest tier go first. */
    sizeCapBytes: z.number().int().min(16 * MIB).max(1024 * 1024 * MIB),
    processRows: ProcessRowsSchema,
  })
  .refine((h) => h.retention10sMs <= h.retention1mMs && h.retention1mMs <= h.retention1hMs, {
    message: 'finer tiers cannot be kept longer than coarser ones (retention10sMs <= retention1mMs <= retention1hMs)',
  });
export type HistorySettings = z.infer<typeof HistorySettingsSchema>;

export const AgentSettingsSchema = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  /** 127.0.0.1 by default; anything else exposes the agent to the network. */
  bindAddress: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]),
  metricsAccess: MetricsAccessSchema,
});
export type AgentSettings = z.infer<typeof AgentSettingsSchema>;

export const EngineSettingsSchema = z.strictObject({
  mode: EngineModeSchema,
});
export type EngineSettings = z.infer<typeof EngineSettingsSchema>;

export const NotificationSettingsSchema = z.strictObject({
  enabled: z.boolean(),
});

export const SettingsSchema = z.strictObject({
  /** Sampling interval, 0.25 s to 10 s. */
  intervalMs: z.number().int().min(INTERVAL_MS_MIN).max(INTERVAL_MS_MAX),
  history: HistorySettingsSchema,
  theme: ThemeSchema,
  startAtLogin: z.boolean(),
  startMinimized: z.boolean(),
  agent: AgentSettingsSchema,
  engine: EngineSettingsSchema,
  notifications: NotificationSettingsSchema,
  /** Program ids the engine must never touch, on top of the built-in safety list. */
  excludedPrograms: z.array(z.string().min(1).max(1024)).max(10_000),
});
export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsKey = keyof Settings;

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  intervalMs: 1000,
  history: {
    enabled: true,
    retention10sMs: 2 * DAY_MS,
    retention1mMs: 30 * DAY_MS,
    retention1hMs: 365 * DAY_MS,
    sizeCapBytes: 1024 * MIB,
    processRows: 'active',
  },
  theme: 'system',
  startAtLogin: false,
  startMinimized: false,
  agent: { port: 7420, bindAddress: '127.0.0.1', metricsAccess: 'token' },
  engine: { mode: 'auto' },
  notifications: { enabled: true },
  excludedPrograms: [],
}) as Settings;

/**
 * A partial update: any top-level key may be left out, and object-valued keys (history, agent, engine,
 * notifications) may name only the fields that change. Unknown keys are refused.
 */
export const SettingsPatchSchema = z.strictObject({
  intervalMs: z.unknown().optional(),
  history: z.record(z.string(), z.unknown()).optional(),
  theme: z.unknown().optional(),
  startAtLogin: z.unknown().optional(),
  startMinimized: z.unknown().optional(),
  agent: z.record(z.string(), z.unknown()).optional(),
  engine: z.record(z.string(), z.unknown()).optional(),
  notifications: z.record(z.string(), z.unknown()).optional(),
  excludedPrograms: z.unknown().optional(),
});
export type SettingsPatch = {
  [K in SettingsKey]?: Settings[K] extends unknown[] ? Settings[K] : Settings[K] extends object ? Partial<Settings[K]> : Settings[K];
};

/** Keys whose value is an object merged field by field in a patch. */
export const OBJECT_SETTINGS_KEYS = ['history', 'agent', 'engine', 'notifications'] as const satisfies readonly SettingsKey[];

/**
 * Apply a patch to settings and validate the result. Pure; returns the new settings or the reasons
 * the patch was refused (each with the dotted path of the bad field).
 */
export function mergeSettings(
  current: Settings,
  patch: unknown,
): { ok: true; settings: Settings; changedKeys: SettingsKey[] } | { ok: false; error: SettingsError } {
  const shape = SettingsPatchSchema.safeParse(patch);
  if (!shape.success) return { ok: false, error: toSettingsError(shape.error) };
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(shape.data)) {
    if (value === undefined) continue;
    merged[key] = (OBJECT_SETTINGS_KEYS as readonly string[]).includes(key)
      ? { ...(current[key as SettingsKey] as object), ...(value as object) }
      : value;
  }
  const parsed = SettingsSchema.safeParse(merged);
  if (!parsed.success) return { ok: false, error: toSettingsError(parsed.error) };
  const changedKeys = (Object.keys(parsed.data) as SettingsKey[]).filter(
    (key) => JSON.stringify(parsed.data[key]) !== JSON.stringify(current[key]),
  );
  return { ok: true, settings: parsed.data, changedKeys };
}

export interface SettingsError {
  message: string;
  issues: Array<{ path: string; message: string }>;
}

function toSettingsError(error: z.ZodError): SettingsError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  return {
    message: `Invalid settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  };
}
