// The privileged helper's wire protocol, shared by the helper (Linux via pkexec, Windows elevated) and
// the client in the unprivileged app. One request = ONE JSON line (at most MAX_REQUEST_BYTES) naming a
// verb from a fixed set with strictly validated arguments; one response = ONE JSON line carrying an
// ActionResult. There is no free-form field anywhere: no paths, no commands, no shell. A cgroup write
// names a controller and a file from an allow-list, with a value checked per file; the helper itself
// derives the directory from the target's current cgroup and refuses anything but Allot's own group.
// Pure: zod only, no node:* imports, so the Windows launcher and tests share it.
import { z } from 'zod';
import { ActionResultSchema, AffinityValueSchema, IoPriorityValueSchema, PriorityValueSchema, type ActionResult } from '../../src-shared/actions';

/** Longest request line accepted, in bytes (a full 4096-CPU affinity list fits). */
export const MAX_REQUEST_BYTES = 32 * 1024;
/** Largest pid accepted: Linux PID_MAX_LIMIT is 2^22, Windows pids are 32-bit. */
export const PID_MAX = 0xffff_fffe;
export const MAX_CPUS = 4096;

export const HELPER_VERBS = ['renice', 'setAffinity', 'setIoPriority', 'cgroupWrite', 'restore'] as const;
export type HelperVerb = (typeof HELPER_VERBS)[number];

const pid = z.number().int().min(1).max(PID_MAX);
const startTime = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const nice = z.number().int().min(-20).max(19);
const cpus = z
  .array(z.number().int().min(0).max(MAX_CPUS - 1))
  .min(1)
  .max(MAX_CPUS)
  .refine((list) => new Set(list).size === list.length, { message: 'CPU numbers must not repeat' });
const ioClass = z.enum(['none', 'realtime', 'best-effort', 'idle']);
const ioLevel = z.number().int().min(0).max(7);

/** The cgroup files the helper may write, per controller, with the rule each value must satisfy. */
export const CGROUP_FILES = {
  cpu: ['cpu.weight', 'cpu.max', 'cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'],
  memory: ['memory.high', 'memory.max', 'memory.soft_limit_in_bytes', 'memory.limit_in_bytes'],
} as const;
export type CgroupController = keyof typeof CGROUP_FILES;
export type CgroupFile = (typeof CGROUP_FILES)[CgroupController][number];
const ALL_CGROUP_FILES = [...CGROUP_FILES.cpu, ...CGROUP_FILES.memory] as [CgroupFile, ...CgroupFile[]];

const MAX_BYTES = 2 ** 52;
const MIN_MEMORY_BYTES = 4096;
const intIn = (text: string, min: number, max: number): boolean => /^-?\d{1,16}$/.test(text) && Number(text) >= min && Number(text) <= max;

/** Null when `value` is valid for `file`, else why not. Only digits, `max`, `-1` and one space ever pass. */
export function cgroupValueProblem(file: CgroupFile, value: string): string | null {
  switch (file) {
    case 'cpu.weight':
      return intIn(value, 1, 10_000) ? null : 'cpu.weight takes an integer 1..10000';
    case 'cpu.shares':
      return intIn(value, 2, 262_144) ? null : 'cpu.shares takes an integer 2..262144';
    case 'cpu.cfs_quota_us':
      return value === '-1' || intIn(value, 1000, 1_000_000_000) ? null : 'cpu.cfs_quota_us takes -1 or 1000..1000000000';
    case 'cpu.cfs_period_us':
      return intIn(value, 1000, 1_000_000) ? null : 'cpu.cfs_period_us takes 1000..1000000';
    case 'cpu.max': {
      const match = /^(max|\d{1,10}) (\d{1,7})$/.exec(value);
      if (!match || !intIn(match[2]!, 1000, 1_000_000)) return 'cpu.max takes "max PERIOD" or "QUOTA PERIOD" (period 1000..1000000)';
      return match[1] === 'max' || intIn(match[1]!, 1000, 1_000_000_000) ? null : 'cpu.max quota must be 1000..1000000000';
    }
    case 'memory.high':
    case 'memory.max':
      return value === 'max' || intIn(value, MIN_MEMORY_BYTES, MAX_BYTES) ? null : `${file} takes "max" or bytes ${MIN_MEMORY_BYTES}..2^52`;
    case 'memory.soft_limit_in_bytes':
    case 'memory.limit_in_bytes':
      return value === '-1' || intIn(value, MIN_MEMORY_BYTES, MAX_BYTES) ? null : `${file} takes -1 or bytes ${MIN_MEMORY_BYTES}..2^52`;
  }
}

const target = { pid, startTime };
const reniceBody = { nice };
const affinityBody = { cpus };
const ioBody = { ioClass, level: ioLevel };
const cgroupBody = {
  controller: z.enum(['cpu', 'memory']),
  file: z.enum(ALL_CGROUP_FILES),
  value: z.string().min(1).max(32),
};

function checkCgroup(body: { controller: CgroupController; file: CgroupFile; value: string }, ctx: z.RefinementCtx): void {
  if (!(CGROUP_FILES[body.controller] as readonly string[]).includes(body.file)) {
    ctx.addIssue({ code: 'custom', path: ['file'], message: `${body.file} does not belong to the ${body.controller} controller` });
    return;
  }
  const problem = cgroupValueProblem(body.file, body.value);
  if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
}

const CgroupWriteSchema = z.strictObject({ verb: z.literal('cgroupWrite'), ...target, ...cgroupBody }).superRefine(checkCgroup);

/**
 * What `restore` puts back: the original value of one earlier change, without the target, with the
 * threads that had their own value (bounded as in the journal; tids outside the target are ignored,
 * since the adapter only walks the target's own threads).
 */
export const RestoreOriginalSchema = z.discriminatedUnion('verb', [
  z.strictObject({ verb: z.literal('renice'), ...reniceBody, threadNice: PriorityValueSchema.shape.threadNice }),
  z.strictObject({ verb: z.literal('setAffinity'), ...affinityBody, threadCpus: AffinityValueSchema.shape.threadCpus }),
  z.strictObject({ verb: z.literal('setIoPriority'), ...ioBody, threadIo: IoPriorityValueSchema.shape.threadIo }),
  z.strictObject({ verb: z.literal('cgroupWrite'), ...cgroupBody }).superRefine(checkCgroup),
]);

export const HelperRequestSchema = z.discriminatedUnion('verb', [
  z.strictObject({ verb: z.literal('renice'), ...target, ...reniceBody }),
  z.strictObject({ verb: z.literal('setAffinity'), ...target, ...affinityBody }),
  z.strictObject({ verb: z.literal('setIoPriority'), ...target, ...ioBody }),
  CgroupWriteSchema,
  z.strictObject({ verb: z.literal('restore'), ...target, original: RestoreOriginalSchema }),
]);
export type HelperRequest = z.infer<typeof HelperRequestSchema>;
export type RestoreOriginal = z.infer<typeof RestoreOriginalSchema>;
export type CgroupWriteRequest = Extract<HelperRequest, { verb: 'cgroupWrite' }>;

export const HelperResponseSchema = z.strictObject({
  /** The verb answered, null when the request could not be read at all. */
  verb: z.enum(HELPER_VERBS).nullable(),
  result: ActionResultSchema,
});
export type HelperResponse = z.infer<typeof HelperResponseSchema>;

export type ParsedRequest = { ok: true; request: HelperRequest } | { ok: false; response: HelperResponse };

function invalid(message: string, verb: HelperVerb | null = null): { ok: false; response: HelperResponse } {
  return { ok: false, response: { verb, result: { kind: 'refused', reason: 'invalid', message: message.slice(0, 1000) } } };
}

/**
 * Read one request line. Never throws: anything but exactly one well-formed request becomes an
 * `invalid` refusal naming the first problem.
 */
export function parseRequest(line: string): ParsedRequest {
  if (typeof line !== 'string') return invalid('the request must be text');
  const bytes = new TextEncoder().encode(line).length;
  if (bytes > MAX_REQUEST_BYTES) return invalid(`the request is ${bytes} bytes; at most ${MAX_REQUEST_BYTES} are accepted`);
  const trimmed = line.replace(/\r?\n$/, '');
  if (trimmed.includes('\n')) return invalid('exactly one request line is accepted');
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return invalid('the request is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return invalid('the request must be a JSON object');
  const verbField = (json as { verb?: unknown }).verb;
  const verb = (HELPER_VERBS as readonly unknown[]).includes(verbField) ? (verbField as HelperVerb) : null;
  if (verb === null) return invalid(`unknown verb ${JSON.stringify(verbField)?.slice(0, 40) ?? 'undefined'}; allowed: ${HELPER_VERBS.join(', ')}`);
  const parsed = HelperRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(`bad ${verb} request: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`, verb);
  }
  return { ok: true, request: parsed.data };
}

/** Serialize a request as the one line the helper reads. Validates first; throws on a bad request (programming error). */
export function encodeRequest(request: HelperRequest): string {
  const parsed = HelperRequestSchema.parse(request);
  return `${JSON.stringify(parsed)}\n`;
}

export function encodeResponse(response: HelperResponse): string {
  return `${JSON.stringify(response)}\n`;
}

/** Parse the helper's answer; anything unreadable becomes a `failed` refusal. */
export function parseResponse(text: string): HelperResponse {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return { verb: null, result: { kind: 'refused', reason: 'failed', message: 'the helper gave no answer' } };
  try {
    const parsed = HelperResponseSchema.safeParse(JSON.parse(line));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  return { verb: null, result: { kind: 'refused', reason: 'failed', message: `the helper answered something unreadable: ${line.slice(0, 200)}` } };
}

/** Exit status the helper uses: 0 applied, 1 refused (any reason), 2 unreadable request. */
export function exitCodeFor(response: HelperResponse): number {
  if (response.result.kind === 'applied') return 0;
  return response.verb === null ? 2 : 1;
}

export type { ActionResult };
