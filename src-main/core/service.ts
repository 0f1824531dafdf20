// The runtime-agnostic core: owns the sample source and implements every request in the contract.
// Electron's IPC bridge, the WebSocket agent and the admin socket all call `handle()`; none of them
// implements a request itself. Inputs are validated here and outputs are validated before they leave.
// Optional services (settings, history, actuator) come from the composition in app.ts; a core
// without one answers its requests with a clear 'not-ready' error instead of guessing.
import { createEngineCounters } from './engine-counters';
import type { Sample, SystemInfo, Platform } from '../../src-shared/domain';
import type { Actor, ChangeRecord } from '../../src-shared/actions';
import type { Settings } from '../../src-shared/settings';
import {
  parseEvent,
  parseRequest,
  parseResponse,
  type EventChannel,
  type EventPayload,
  type RequestChannel,
  type RequestInput,
  type RequestOutput,
  type Result,
  type TickStatus,
} from '../../src-shared/contract';
import type { SampleSource } from './sample-source';
import type { SettingsStore } from '../store/settings';
import type { Actuator } from '../platform/actuator';
import type { History } from '../store/history';
import type { ExportOptions, ExportResult } from '../store/export';
import type { EngineService } from './engine-service';
import { withElevation } from '../helper/elevated';
import { auditConfigChanges } from './audit-config';
import { MAX_EXPORT_BYTES } from '../../src-shared/contract';

export interface CoreServices {
  settings?: SettingsStore;
  actuator?: Actuator;
  history?: History;
  engine?: EngineService;
  /** Rows of history as CSV/JSONL lines (store/export.ts over this core's database). */
  exportRows?: (options: ExportOptions) => ExportResult;
  /** Called with each sample before it is published (history). Must not throw. */
  onSample?: (sample: Sample) => void;
  /** Conditions to show with each tick (history paused, ...). */
  tickStatus?: () => TickStatus;
}

export interface CoreOptions {
  source: SampleSource;
  runtime: 'electron' | 'node';
  version: string;
  intervalMs?: number;
  services?: CoreServices;
  /** Validate every event payload before publishing (on in tests; costs a parse per tick). */
  validateEvents?: boolean;
  /**
   * Early sight of launches (Linux: monitor/launch-watch.linux.ts), run while the core runs: it calls
   * `wake` when a program the engine lowers at launch starts, and the next sample is taken soon.
   */
  launchWatch?: (wake: () => void) => { start(): void; stop(): void } | undefined;
}

/** Who is asking: recorded in the audit log for every action. */
export interface CallContext {
  actor: Actor;
}

type Handlers = {
  [C in RequestChannel]: (input: RequestInput<C>, context: CallContext) => Promise<RequestOutput<C>> | RequestOutput<C>;
};
type Listener<E extends EventChannel> = (payload: EventPayload<E>) => void;

export interface CoreLike {
  /** Validate and run one request from an untrusted peer. Never throws. */
  handle(channel: unknown, payload: unknown, context?: CallContext): Promise<Result<unknown>>;
  on<E extends EventChannel>(event: E, listener: Listener<E>): () => void;
  stop(): Promise<void>;
}

export interface Core extends CoreLike {
  start(): Promise<void>;
  /** Typed call for trusted in-process callers (tray, CLI). Throws on failure. */
  call<C extends RequestChannel>(channel: C, input: RequestInput<C>, context?: CallContext): Promise<RequestOutput<C>>;
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
  latest(): Sample | undefined;
  readonly handlers: Readonly<Handlers>;
}

export class CoreError extends Error {
  constructor(
    readonly code: 'not-ready' | 'invalid-input' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

export function toPlatform(value: string): Platform {
  return value === 'linux' || value === 'win32' || value === 'darwin' ? value : 'other';
}

const USER: CallContext = { actor: 'user' };
/** Requests that may ask for administrator rights when a person makes them. */
const ELEVATING: ReadonlySet<RequestChannel> = new Set<RequestChannel>(['changes.apply', 'changes.undo', 'changes.restoreAll']);

export function createCore(options: CoreOptions): Core {
  const { source } = options;
  let launchWatch: { start(): void; stop(): void } | undefined;
  const services = options.services ?? {};
  const startedAtMs = Date.now();
  let intervalMs = services.settings?.getSettings().intervalMs ?? options.intervalMs ?? 1000;
  let latest: Sample | undefined;
  let info: SystemInfo | undefined;
  let seq = 0;
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();

  /** /metrics' engine counters, kept here so no report crosses to the serving thread per tick. */
  const engineCounters = createEngineCounters();
  const emit = <E extends EventChannel>(event: E, payload: EventPayload<E>): void => {
    // Every engine report is counted, whether or not anyone listens.
    if (event === 'engine') engineCounters.onReport(payload as EventPayload<'engine'>);
    const set = listeners.get(event);
    if (!set || set.size === 0) return;
    if (options.validateEvents) {
      const checked = parseEvent(event, payload);
      if (!checked.ok) {
        console.error(`[allot] dropped invalid ${event} event: ${checked.error.message}`);
        return;
      }
    }
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        console.error(`[allot] ${event} listener failed:`, error);
      }
    }
  };

  const need = <T>(service: T | undefined, what: string): T => {
    if (!service) throw new CoreError('not-ready', `${what} is not available in this runtime`);
    return service;
  };
  const requireSample = (): Sample => {
    if (!latest) throw new CoreError('not-ready', 'no sample yet; the first arrives within one interval');
    return latest;
  };
  const publishChanges = (): void => {
    const actuator = services.actuator;
    if (actuator) emit('changes', { changes: actuator.listChanges({ limit: 500 }) as ChangeRecord[] });
  };
  /** The name to journal for a target: from the latest sample, or the pid. */
  const nameOf = (pid: number): string => latest?.processes.find((p) => p.pid === pid)?.name ?? `pid ${pid}`;
  const undoTimers = new Set<ReturnType<typeof setTimeout>>();

  // Settings, rules, mode, pause and profile changes are audited like process actions (audit-config.ts).
  const handlers: Handlers = auditConfigChanges<Handlers>({
    'app.info': () => ({
      name: 'Allot',
      version: options.version,
      runtime: options.runtime,
      platform: toPlatform(process.platform),
      pid: process.pid,
      intervalMs,
      startedAtMs,
      collector: source.name,
    }),
    'system.info': async () => (info ??= await source.info()),
    'system.summary': () => {
      const sample = requireSample();
      return { at: sample.at, system: sample.system };
    },
    'processes.snapshot': () => {
      const sample = requireSample();
      return { at: sample.at, processes: sample.processes };
    },
    'settings.get': () => need(services.settings, 'settings').getSettings(),
    'settings.update': (patch) => {
      const result = need(services.settings, 'settings').updateSettings(patch);
      if (!result.ok) throw new CoreError('invalid-input', result.error.message);
      return result.settings;
    },
    'capabilities.get': () => need(services.actuator, 'actuation').adapter.capabilities(),
    'changes.apply': async (input, context) => {
      const actuator = need(services.actuator, 'actuation');
      const result = await actuator.apply({
        target: input.target,
        name: nameOf(input.target.pid),
        change: input.change,
        actor: context.actor,
        why: input.why ?? 'manual override',
        ...(input.confirmIrreversible ? { confirmIrreversible: true } : {}),
      });
      const { changeId, ...actionResult } = result;
      if (changeId !== null && result.kind === 'applied' && input.durationMs !== undefined) {
        const timer = setTimeout(() => {
          undoTimers.delete(timer);
          void actuator
            .undo(changeId, context.actor, `the override's ${Math.round(input.durationMs! / 60_000)} min ran out`)
            .then(publishChanges)
            .catch((error: unknown) => console.error(`[allot] timed undo of change ${changeId} failed:`, error));
        }, input.durationMs);
        timer.unref?.();
        undoTimers.add(timer);
      }
      publishChanges();
      return { result: actionResult, changeId };
    },
    'changes.undo': async ({ id }, context) => {
      const { changeId: _changeId, ...result } = await need(services.actuator, 'actuation').undo(id, context.actor);
      publishChanges();
      return result;
    },
    'changes.list': ({ all, limit }) => {
      const actuator = need(services.actuator, 'actuation');
      return (all ? actuator.listChanges({ limit: limit ?? 500 }) : actuator.journal.inForce().slice(0, limit ?? 5000)) as ChangeRecord[];
    },
    'changes.restoreAll': async (_input, context) => {
      const report = await need(services.actuator, 'actuation').restoreAll(context.actor, 'restore all, asked for by a person');
      publishChanges();
      return summarizeRestore(report.outcomes);
    },
    'audit.list': (query) => need(services.actuator, 'actuation').audit.query(query),
    'history.system': ({ fromMs, toMs, resolutionMs }) =>
      historySeries(need(services.history, 'history').querySystem(fromMs, toMs, resolutionMs)),
    'history.program': ({ programId, fromMs, toMs, resolutionMs }) =>
      historySeries(need(services.history, 'history').queryProgram(programId, fromMs, toMs, resolutionMs)),
    'history.top': ({ fromMs, toMs, by, limit }) => need(services.history, 'history').topPrograms(fromMs, toMs, by, limit ?? 20),
    'history.hourOfWeek': ({ programId, sinceMs }) => need(services.history, 'history').hourOfWeek(programId, sinceMs),
    'history.status': () => {
      const history = need(services.history, 'history');
      return { ...history.status(), pendingRows: history.pendingRows(), sizeBytes: history.sizeBytes() };
    },
    'engine.state': () => need(services.engine, 'the engine').state(),
    'engine.counters': () => engineCounters.view(),
    'engine.log': (query) => {
      const page = need(services.engine, 'the engine').activity(query);
      if (!page) throw new CoreError('not-ready', "the engine's activity log is not kept in this runtime");
      return page;
    },
    'engine.setMode': ({ mode }) => need(services.engine, 'the engine').setMode(mode),
    'engine.pause': ({ minutes }) => need(services.engine, 'the engine').pause(minutes),
    'engine.setProfile': async ({ profileId }) => {
      try {
        return await need(services.engine, 'the engine').setProfile(profileId);
      } catch (error) {
        throw new CoreError('invalid-input', (error as Error).message);
      }
    },
    'engine.applyAdvice': async ({ decisionId }) => {
      const result = await need(services.engine, 'the engine').applyAdvice(decisionId);
      publishChanges();
      return result;
    },
    'rules.get': () => need(services.engine, 'the engine').rules(),
    'rules.set': ({ text }) => need(services.engine, 'the engine').setRules(text),
    'profiles.list': ({ limit }) => need(services.engine, 'the engine').listProfiles(limit ?? 200),
    'profiles.get': ({ programId }) => {
      const profile = need(services.engine, 'the engine').profile(programId);
      if (!profile) throw new CoreError('invalid-input', `no profile for program ${JSON.stringify(programId)} yet`);
      return profile;
    },
    'export.run': (input) => {
      const history = need(services.history, 'history');
      const exportRows = need(services.exportRows, 'export');
      history.flush();
      const result = exportRows(input);
      if (!result.ok) throw new CoreError('invalid-input', result.error);
      const parts: string[] = [];
      let bytes = 0;
      let lines = 0;
      for (const line of result.lines) {
        bytes += line.length + 1;
        if (bytes > MAX_EXPORT_BYTES) {
          throw new CoreError('invalid-input', `the export is larger than ${MAX_EXPORT_BYTES / 2 ** 20} MiB; pick a shorter range or use \`allot export\``);
        }
        parts.push(line);
        lines++;
      }
      const rows = input.format === 'csv' ? Math.max(0, lines - 1) : lines;
      const stamp = new Date(input.fromMs).toISOString().slice(0, 10);
      return {
        filename: `allot-${input.level}-${stamp}.${input.format}`,
        mime: input.format === 'csv' ? ('text/csv' as const) : ('application/x-ndjson' as const),
        rows,
        text: parts.length ? `${parts.join('\n')}\n` : '',
      };
    },
  }, {
    audit: () => services.actuator?.audit,
    settings: () => services.settings?.getSettings(),
    engine: () => services.engine?.state(),
    rulesText: () => services.engine?.rules().text,
  });

  const call = async <C extends RequestChannel>(channel: C, input: RequestInput<C>, context: CallContext = USER): Promise<RequestOutput<C>> => {
    const handler = handlers[channel] as (input: RequestInput<C>, context: CallContext) => Promise<RequestOutput<C>> | RequestOutput<C>;
    // Only a person at this machine may be asked for administrator rights (a password prompt on
    // this desktop): not the engine, and not a remote agent operator.
    if (ELEVATING.has(channel) && (context.actor === 'user' || context.actor === 'tray' || context.actor === 'cli')) return withElevation(async () => handler(input, context));
    return handler(input, context);
  };

  services.settings?.onChange((next: Settings, previous: Settings) => {
    if (next.intervalMs !== previous.intervalMs) {
      intervalMs = next.intervalMs;
      source.setIntervalMs(intervalMs);
    }
  });

  return {
    handlers,
    async start() {
      info = await source.info();
      await source.start(
        intervalMs,
        (sample) => {
          latest = sample;
          services.onSample?.(sample);
          const status = services.tickStatus?.();
          emit('tick', { seq: seq++, sample, ...(status ? { status } : {}) });
          // The engine acts after the UI has the sample; a busy engine skips a tick rather than queue.
          void services.engine
            ?.step(sample)
            .then((report) => {
              if (!report) return;
              emit('engine', report);
              if (report.decisions.some((entry) => entry.changes?.length) || report.external.length > 0) publishChanges();
            })
            .catch((error: unknown) => console.error('[allot] publishing the engine report failed:', error));
        },
        (error) => console.error('[allot] sampling failed:', error.message),
      );
      if (source.sampleSoon && options.launchWatch) {
        launchWatch ??= options.launchWatch(() => source.sampleSoon?.());
        launchWatch?.start();
      }
    },
    async stop() {
      launchWatch?.stop();
      for (const timer of undoTimers) clearTimeout(timer);
      undoTimers.clear();
      await source.stop();
    },
    async handle(channel, payload, context = USER) {
      const request = parseRequest(channel, payload);
      if (!request.ok) return request;
      try {
        const value = await call(request.value.channel, request.value.input, context);
        return parseResponse(request.value.channel, value);
      } catch (error) {
        if (error instanceof CoreError) return { ok: false, error: { code: error.code, message: error.message } };
        // Internal details (SQL text, paths) go to the log, not to whoever asked.
        console.error(`[allot] ${String(channel)} failed:`, error);
        return { ok: false, error: { code: 'internal', message: `${String(channel)} failed inside Allot; the details are in its log` } };
      }
    },
    call,
    emit,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
    latest: () => latest,
  };
}

/** History rows as plain records for the contract (they are already plain; this fixes the type). */
function historySeries(query: { tierMs: number; rows: readonly object[] }): { tierMs: number; rows: Array<Record<string, number | string | null | number[]>> } {
  return { tierMs: query.tierMs, rows: query.rows as Array<Record<string, number | string | null | number[]>> };
}

export function summarizeRestore(outcomes: ReadonlyArray<{ status: string }>): { restored: number; gone: number; failed: number } {
  let restored = 0;
  let gone = 0;
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.status === 'restored') restored++;
    else if (outcome.status === 'gone') gone++;
    else failed++;
  }
  return { restored, gone, failed };
}
