// The rules file: a documented JSON format (docs/rules.md) holding rules, profiles, tenants and
// triggers. `parseRulesFile` refuses an invalid file with the line, column and reason, and builds
// nothing from it. Pure: no node:*, no DOM.
import { z } from 'zod';
import { IoPrioritySchema, TierSchema } from './engine';

export const RULES_FILE_VERSION = 1;
export const RULES_LIMITS = {
  maxFileChars: 1_048_576,
  maxRules: 2_000,
  maxProfiles: 32,
  maxTenants: 256,
  maxTriggers: 128,
  maxGlobLength: 512,
  maxGlobsPerField: 64,
  /** Regexes on command lines are capped so a rule cannot make matching slow. */
  maxRegexLength: 200,
  /** Only this many characters of a command line are matched against. */
  maxCmdlineMatchChars: 4_096,
  maxDepth: 64,
} as const;

const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'ids use letters, digits, ".", "_" and "-", starting with a letter or digit');
const globSchema = z.string().min(1).max(RULES_LIMITS.maxGlobLength);
const globsSchema = z.union([globSchema, z.array(globSchema).min(1).max(RULES_LIMITS.maxGlobsPerField)]);

const regexSchema = z
  .string()
  .min(1)
  .max(RULES_LIMITS.maxRegexLength)
  .refine((source) => compileRegex(source) !== undefined, 'not a valid regular expression');

/** "0-3,6" or [0,1,2,3,6]. */
const cpuListSchema = z.union([
  z.array(z.number().int().min(0).max(4095)).min(1).max(4096),
  z
    .string()
    .max(1024)
    .refine((text) => parseCpuList(text) !== undefined, 'a CPU list looks like "0-3,6"'),
]);

export const RuleMatchSchema = z
  .strictObject({
    /** Program (process) name, glob: `*` any run of characters, `?` one character; case-insensitive. */
    name: globsSchema.optional(),
    /** Executable path, glob, case-insensitive. */
    exe: globsSchema.optional(),
    /** Substring of the command line, case-sensitive. */
    cmdline: z.string().min(1).max(RULES_LIMITS.maxGlobLength).optional(),
    /** Regular expression on the command line (JavaScript syntax, at most 200 characters). */
    cmdlineRegex: regexSchema.optional(),
    /** OS user name(s), glob. */
    user: globsSchema.optional(),
    /** Parent process name, glob, case-insensitive. */
    parent: globsSchema.optional(),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), 'a match needs at least one of name, exe, cmdline, cmdlineRegex, user, parent');
export type RuleMatch = z.infer<typeof RuleMatchSchema>;

export const RuleActionSchema = z
  .strictObject({
    tier: TierSchema.optional(),
    /** Absolute nice value, -20..19 (lower = more CPU). Raising priority needs this rule. */
    nice: z.number().int().min(-20).max(19).optional(),
    affinity: cpuListSchema.optional(),
    ioPriority: IoPrioritySchema.optional(),
    /** CPU cap, percent of one core (100 = one full core). */
    cpuCapPercent: z.number().finite().positive().max(409_600).optional(),
    /** Soft memory limit, bytes. */
    memoryLimitBytes: z.number().int().positive().optional(),
    /** When the memory limit applies: at once, or only once a leak is detected (default). */
    memoryLimitWhen: z.enum(['always', 'on-leak']).optional(),
    /** Never touch matching processes (no balancer, planner or tenant restraint). */
    exclude: z.boolean().optional(),
  })
  .refine((a) => Object.values(a).some((v) => v !== undefined), 'an action needs at least one field');
export type RuleAction = z.infer<typeof RuleActionSchema>;

export const RuleSchema = z.strictObject({
  id: idSchema,
  description: z.string().max(1024).optional(),
  enabled: z.boolean().default(true),
  match: RuleMatchSchema,
  action: RuleActionSchema,
});
export type Rule = z.infer<typeof RuleSchema>;

/** Reactive balancer thresholds (ProBalance style). Units in the names. */
export const BalancerThresholdsSchema = z.strictObject({
  /** Whole-machine CPU (0-100 % of all cores) at or above which the balancer acts. */
  systemCpuPercent: z.number().min(0).max(100).default(85),
  /** A process's CPU, percent of ONE core (100 = one full core), at or above which it is a candidate. */
  processCpuPercent: z.number().min(0).max(409_600).default(20),
  /** How long both conditions must hold before a process is lowered. */
  overForMs: z.number().int().min(0).max(3_600_000).default(2_800),
  /** A restrained process is restored when its CPU falls below this (percent of one core)... */
  restoreBelowPercent: z.number().min(0).max(409_600).default(10),
  /** ...and it has been restrained at least this long. Doubles after each restore of the same process. */
  minRestrainedMs: z.number().int().min(0).max(3_600_000).default(6_000),
  /** Nice added per step. */
  niceStep: z.number().int().min(1).max(39).default(5),
  /** Most steps the balancer takes on one process. */
  maxSteps: z.number().int().min(1).max(8).default(2),
  /** Least time between two balancer actions on one process. */
  perProcessMinIntervalMs: z.number().int().min(0).max(3_600_000).default(2_800),
  /** At most this many balancer actions in any window of `globalWindowMs`. */
  globalMaxActions: z.number().int().min(1).max(10_000).default(8),
  globalWindowMs: z.number().int().min(1).max(3_600_000).default(10_000),
  /** Cap for the growing hold time after repeated restrain/restore cycles. */
  maxRestrainedHoldMs: z.number().int().min(0).max(86_400_000).default(300_000),
});
export type BalancerThresholds = z.infer<typeof BalancerThresholdsSchema>;

export const ProfileSchema = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(128),
  description: z.string().max(1024).optional(),
  /** Rule ids active in this profile, or "*" for every enabled rule. */
  rules: z.union([z.literal('*'), z.array(idSchema).max(RULES_LIMITS.maxRules)]),
  thresholds: BalancerThresholdsSchema.partial().default({}),
  balancerEnabled: z.boolean().default(true),
  plannerEnabled: z.boolean().default(true),
  /** Machine CPU % (0-100) the planner treats as the usable capacity. */
  plannerCapacityPercent: z.number().min(1).max(100).default(90),
});
export type Profile = z.infer<typeof ProfileSchema>;

export const TenantSchema = z
  .strictObject({
    id: idSchema,
    name: z.string().min(1).max(128),
    /** OS users that belong to this tenant. */
    users: z.array(globSchema).max(RULES_LIMITS.maxGlobsPerField).default([]),
    /** A user-defined group: program names (globs). A group tenant wins over a user tenant. */
    programs: z.array(globSchema).max(RULES_LIMITS.maxGlobsPerField).default([]),
    /** CPU budget, percent of the whole machine (0-100). */
    cpuBudgetPercent: z.number().min(0).max(100).optional(),
    memoryBudgetBytes: z.number().int().positive().optional(),
    /** Fair-share weight against other tenants. */
    weight: z.number().positive().max(10_000).default(1),
  })
  .refine((t) => t.users.length > 0 || t.programs.length > 0, 'a tenant needs users or programs');
export type Tenant = z.infer<typeof TenantSchema>;

export const TRIGGER_METRICS = [
  'system.cpuPercent',
  'system.memoryUsedPercent',
  'psi.cpu.someAvg10',
  'psi.memory.someAvg10',
  'battery.percent',
  'forecast.system.cpuP90Percent',
] as const;

export const TriggerSchema = z.strictObject({
  id: idSchema,
  when: z.strictObject({
    metric: z.enum(TRIGGER_METRICS),
    op: z.enum(['>', '<']),
    value: z.number().finite(),
    forMs: z.number().int().min(0).max(86_400_000).default(0),
  }),
  /** Profile to switch to while the trigger holds; the previous one comes back when it clears. */
  activateProfile: idSchema.optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const RulesFileSchema = z
  .strictObject({
    $schema: z.string().max(1024).optional(),
    version: z.literal(RULES_FILE_VERSION),
    activeProfile: idSchema.default('balanced'),
    rules: z.array(RuleSchema).max(RULES_LIMITS.maxRules),
    profiles: z.array(ProfileSchema).min(1).max(RULES_LIMITS.maxProfiles),
    tenants: z.array(TenantSchema).max(RULES_LIMITS.maxTenants).default([]),
    triggers: z.array(TriggerSchema).max(RULES_LIMITS.maxTriggers).default([]),
  })
  .superRefine((file, ctx) => {
    const ruleIds = new Set<string>();
    file.rules.forEach((rule, i) => {
      if (ruleIds.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${rule.id}"` });
      ruleIds.add(rule.id);
    });
    const profileIds = new Set<string>();
    file.profiles.forEach((profile, i) => {
      if (profileIds.has(profile.id)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'id'], message: `duplicate profile id "${profile.id}"` });
      profileIds.add(profile.id);
      if (profile.rules !== '*') {
        profile.rules.forEach((ruleId, j) => {
          if (!ruleIds.has(ruleId)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'rules', j], message: `unknown rule id "${ruleId}"` });
        });
      }
    });
    if (!profileIds.has(file.activeProfile)) {
      ctx.addIssue({ code: 'custom', path: ['activeProfile'], message: `unknown profile "${file.activeProfile}"` });
    }
    const tenantIds = new Set<string>();
    file.tenants.forEach((tenant, i) => {
      if (tenantIds.has(tenant.id)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'id'], message: `duplicate tenant id "${tenant.id}"` });
      tenantIds.add(tenant.id);
    });
    const triggerIds = new Set<string>();
    file.triggers.forEach((trigger, i) => {
      if (triggerIds.has(trigger.id)) ctx.addIssue({ code: 'custom', path: ['triggers', i, 'id'], message: `duplicate trigger id "${trigger.id}"` });
      triggerIds.add(trigger.id);
      if (trigger.activateProfile !== undefined && !profileIds.has(trigger.activateProfile)) {
        ctx.addIssue({ code: 'custom', path: ['triggers', i, 'activateProfile'], message: `unknown profile "${trigger.activateProfile}"` });
      }
    });
  });
export type RulesFile = z.infer<typeof RulesFileSchema>;
export type RulesFileInput = z.input<typeof RulesFileSchema>;

// ---------------------------------------------------------------- helpers used by the schema and the engine

/** Compile a user regex; undefined when invalid or too long. */
export function compileRegex(source: string): RegExp | undefined {
  if (source.length > RULES_LIMITS.maxRegexLength) return undefined;
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/** "0-3,6" -> [0,1,2,3,6]; undefined when malformed. */
export function parseCpuList(text: string): number[] | undefined {
  const out = new Set<number>();
  const parts = text.split(',').map((p) => p.trim());
  for (const part of parts) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to > 4095) return undefined;
    for (let c = from; c <= to; c++) out.add(c);
  }
  return out.size > 0 ? [...out].sort((a, b) => a - b) : undefined;
}

const globCache = new Map<string, RegExp>();
/** Glob -> anchored, case-insensitive RegExp. `*` any run (including "/"), `?` one character. */
export function globToRegExp(glob: string): RegExp {
  const cached = globCache.get(glob);
  if (cached) return cached;
  let source = '^';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  const re = new RegExp(source + '$', 'is');
  if (globCache.size > 4096) globCache.clear();
  globCache.set(glob, re);
  return re;
}

export function globMatches(globs: string | readonly string[] | undefined, value: string | undefined): boolean {
  if (globs === undefined) return true;
  if (value === undefined) return false;
  const list = typeof globs === 'string' ? [globs] : globs;
  return list.some((g) => globToRegExp(g).test(value));
}

// ---------------------------------------------------------------- JSON position tracking

export interface JsonPosition {
  line: number;
  column: number;
}

export interface RulesFileError {
  line: number;
  column: number;
  /** Dotted path of the offending value, e.g. "rules.2.action.nice" ("" for the whole file). */
  path: string;
  message: string;
}

export type ParseRulesResult = { ok: true; value: RulesFile } | { ok: false; error: RulesFileError };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Scan JSON text, checking syntax and recording where every value (and every object key) starts.
 * Keys of the map are JSON.stringify(path); key positions are stored under path + "#key".
 */
export function scanJsonPositions(text: string): Map<string, number> {
  const positions = new Map<string, number>();
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = (at: number) => (at >= text.length ? 'end of input' : `character ${JSON.stringify(text[at])}`);
  const scanString = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in string', i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('invalid escape in string', i);
      } else if (c !== undefined && c.charCodeAt(0) < 0x20) fail('control character in string (use \\n, \\t)', i);
      else i++;
    }
    return fail('unterminated string', start);
  };
  const scanValue = (path: (string | number)[], depth: number): void => {
    if (depth > RULES_LIMITS.maxDepth) fail('nested too deeply');
    ws();
    positions.set(JSON.stringify(path), i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      const seen = new Set<string>();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(i)}`);
        const keyAt = i;
        const key = scanString();
        if (seen.has(key)) fail(`duplicate key "${key}"`, keyAt);
        seen.add(key);
        positions.set(JSON.stringify([...path, key]) + '#key', keyAt);
        ws();
        if (text[i] !== ':') fail(`expected ":" after property name, found ${describe(i)}`);
        i++;
        scanValue([...path, key], depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected "," or "}" after property value, found ${describe(i)}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        scanValue([...path, index], depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected "," or "]" after array element, found ${describe(i)}`);
      }
    }
    if (c === '"') {
      scanString();
      return;
    }
    const literal = /^(?:true|false|null)/.exec(text.slice(i, i + 5));
    if (literal) {
      i += literal[0].length;
      return;
    }
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (num) {
      i += num[0].length;
      return;
    }
    fail(`unexpected ${describe(i)}`);
  };
  scanValue([], 0);
  ws();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the document`);
  return positions;
}

/** 0-based offset -> 1-based line and column. */
export function offsetToPosition(text: string, offset: number): JsonPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let k = 0; k < end; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function locateIssue(text: string, positions: Map<string, number>, issue: z.core.$ZodIssue): { offset: number; path: (string | number)[] } {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
    const keyAt = positions.get(JSON.stringify([...path, issue.keys[0]]) + '#key');
    if (keyAt !== undefined) return { offset: keyAt, path: [...path, issue.keys[0]!] };
  }
  for (let n = path.length; n >= 0; n--) {
    const at = positions.get(JSON.stringify(path.slice(0, n)));
    if (at !== undefined) return { offset: at, path };
  }
  return { offset: 0, path };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing required field "${String(issue.path[issue.path.length - 1] ?? '')}"`;
  return issue.message;
}

/** Parse and validate a rules file. On failure nothing is built; the error names line, column and reason. */
export function parseRulesFile(text: string): ParseRulesResult {
  if (typeof text !== 'string') return { ok: false, error: { line: 1, column: 1, path: '', message: 'rules file must be text' } };
  if (text.length > RULES_LIMITS.maxFileChars) {
    return { ok: false, error: { line: 1, column: 1, path: '', message: `rules file is larger than ${RULES_LIMITS.maxFileChars} characters` } };
  }
  const body = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  let positions: Map<string, number>;
  let raw: unknown;
  try {
    positions = scanJsonPositions(body);
    raw = JSON.parse(body);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      return { ok: false, error: { ...offsetToPosition(body, error.offset), path: '', message: `invalid JSON: ${error.message}` } };
    }
    const m = /position (\d+)/.exec(String((error as Error).message));
    const offset = m ? Number(m[1]) : 0;
    return { ok: false, error: { ...offsetToPosition(body, offset), path: '', message: `invalid JSON: ${(error as Error).message}` } };
  }
  const parsed = RulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const { offset, path } = locateIssue(body, positions, issue);
    return { ok: false, error: { ...offsetToPosition(body, offset), path: path.map(String).join('.'), message: describeIssue(issue) } };
  }
  return { ok: true, value: parsed.data };
}

/** Serialize a rules file the way `parseRulesFile` reads it back. */
export function formatRulesFile(file: RulesFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}

// ---------------------------------------------------------------- built-in defaults

const COMPILERS = [
  'cc1', 'cc1plus', 'cc1obj', 'gcc', 'g++', 'clang', 'clang++', 'clang-*', 'rustc', 'cargo', 'javac', 'kotlinc',
  'ld', 'ld.*', 'lld', 'mold', 'ninja', 'make', 'gmake', 'cmake', 'msbuild*', 'cl.exe', 'link.exe', 'esbuild',
  'tsc', 'go', 'gradle*', 'mvn', 'ghc', 'swift-frontend', 'ccache', 'sccache', 'bazel*', 'buck*', 'xcodebuild',
];
const INDEXERS = [
  'tracker-miner-*', 'tracker-extract*', 'baloo_file*', 'updatedb*', 'mlocate', 'plocate*', 'SearchIndexer.exe',
  'SearchProtocolHost.exe', 'mds', 'mds_stores', 'mdworker*', 'fwupd', 'packagekitd', 'apt-check', 'man-db*',
];
const BACKUP = ['restic', 'borg', 'rsync', 'duplicity', 'deja-dup*', 'rclone', 'backupd', 'kopia', 'duplicati*', 'timeshift*'];
const BROWSERS = ['firefox*', 'chrome', 'chrome.exe', 'chromium*', 'msedge*', 'brave*', 'vivaldi*', 'opera*', 'Safari', 'librewolf*'];
const EDITORS = ['code', 'code-oss', 'Code.exe', 'Code Helper*', 'codium', 'subl*', 'sublime_text*', 'emacs*', 'gvim', 'idea*', 'pycharm*', 'clion*', 'webstorm*', 'goland*', 'rider*', 'zed*', 'kate', 'gedit', 'gnome-text-editor'];
const AUDIO_APPS = ['ardour*', 'reaper*', 'bitwig*', 'mixxx', 'audacity', 'lmms', 'musescore*', 'carla*', 'qtractor', 'renoise*'];
const AUDIO_SERVERS = ['pipewire*', 'pulseaudio', 'wireplumber', 'jackd*', 'coreaudiod', 'audiodg.exe'];

/** The built-in rule set; also what a fresh install writes as its rules file. */
export const DEFAULT_RULES_FILE: RulesFile = RulesFileSchema.parse({
  version: RULES_FILE_VERSION,
  activeProfile: 'balanced',
  rules: [
    { id: 'audio-servers-exclude', description: 'Audio servers are session-critical: never touch them.', match: { name: AUDIO_SERVERS }, action: { exclude: true } },
    { id: 'audio-apps', description: 'Audio workstations: highest tier (no real-time scheduling).', match: { name: AUDIO_APPS }, action: { tier: 'realtime' } },
    { id: 'compilers', description: 'Compilers, linkers and build drivers run as batch work.', match: { name: COMPILERS }, action: { tier: 'batch' } },
    { id: 'compilers-quiet-cap', description: 'Quiet profile: cap each compiler process at one core.', match: { name: COMPILERS }, action: { cpuCapPercent: 100 } },
    { id: 'indexers', description: 'File indexers and package refreshers run in the background.', match: { name: INDEXERS }, action: { tier: 'batch' } },
    { id: 'backup', description: 'Backup and sync tools run in the background.', match: { name: BACKUP }, action: { tier: 'background' } },
    { id: 'browsers', description: 'Web browsers are interactive.', match: { name: BROWSERS }, action: { tier: 'interactive' } },
    { id: 'editors', description: 'Editors and IDEs are interactive.', match: { name: EDITORS }, action: { tier: 'interactive' } },
    { id: 'games-steam', description: 'Games installed by Steam are interactive.', match: { exe: ['*steamapps*common*', '*SteamLibrary*'] }, action: { tier: 'interactive' } },
  ],
  profiles: [
    {
      id: 'balanced',
      name: 'Balanced',
      description: 'Default: lower background hogs when the machine is busy.',
      rules: ['audio-servers-exclude', 'audio-apps', 'compilers', 'indexers', 'backup', 'browsers', 'editors', 'games-steam'],
    },
    {
      id: 'performance',
      name: 'Performance',
      description: 'Protect the foreground earlier and harder.',
      rules: ['audio-servers-exclude', 'audio-apps', 'compilers', 'indexers', 'backup', 'browsers', 'editors', 'games-steam'],
      thresholds: { systemCpuPercent: 75, processCpuPercent: 15, overForMs: 1_500, maxSteps: 3 },
      plannerCapacityPercent: 80,
    },
    {
      id: 'quiet',
      name: 'Quiet / Battery',
      description: 'Keep fans and power down: cap compilers, restrain background work early.',
      rules: '*',
      thresholds: { systemCpuPercent: 60, processCpuPercent: 15, niceStep: 10 },
      plannerCapacityPercent: 70,
    },
  ],
  tenants: [],
  triggers: [{ id: 'battery-low', when: { metric: 'battery.percent', op: '<', value: 20, forMs: 60_000 }, activateProfile: 'quiet' }],
});
