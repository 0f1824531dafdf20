// The runtime-agnostic core: owns the sample source and implements every request in the contract.
// Electron's IPC bridge, the WebSocket agent and the admin socket all call `handle()`; none of them
// implements a request itself. Inputs are validated here and outputs are validated before they leave.
import type { Sample, SystemInfo, Platform } from '../../src-shared/domain';
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
} from '../../src-shared/contract';
import type { SampleSource } from './sample-source';

export interface CoreOptions {
  source: SampleSource;
  runtime: 'electron' | 'node';
  version: string;
  intervalMs?: number;
  /** Validate every event payload before publishing (on in tests; costs a parse per tick). */
  validateEvents?: boolean;
}

type Handlers = { [C in RequestChannel]: (input: RequestInput<C>) => Promise<RequestOutput<C>> | RequestOutput<C> };
type Listener<E extends EventChannel> = (payload: EventPayload<E>) => void;

export interface Core {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Validate and run one request from an untrusted peer. Never throws. */
  handle(channel: unknown, payload: unknown): Promise<Result<unknown>>;
  /** Typed call for trusted in-process callers (tray, CLI). Throws on failure. */
  call<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>>;
  on<E extends EventChannel>(event: E, listener: Listener<E>): () => void;
  latest(): Sample | undefined;
  readonly handlers: Readonly<Handlers>;
}

export function toPlatform(value: string): Platform {
  return value === 'linux' || value === 'win32' || value === 'darwin' ? value : 'other';
}

export function createCore(options: CoreOptions): Core {
  const { source } = options;
  const startedAtMs = Date.now();
  let intervalMs = options.intervalMs ?? 1000;
  let latest: Sample | undefined;
  let info: SystemInfo | undefined;
  let seq = 0;
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();

  const emit = <E extends EventChannel>(event: E, payload: EventPayload<E>): void => {
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

  const requireSample = (): Sample => {
    if (!latest) throw Object.assign(new Error('no sample yet; the first arrives within one interval'), { code: 'not-ready' });
    return latest;
  };

  const handlers: Handlers = {
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
  };

  const call = async <C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>> => {
    const handler = handlers[channel] as (input: RequestInput<C>) => Promise<RequestOutput<C>> | RequestOutput<C>;
    return handler(input);
  };

  return {
    handlers,
    async start() {
      info = await source.info();
      await source.start(
        intervalMs,
        (sample) => {
          latest = sample;
          emit('tick', { seq: seq++, sample });
        },
        (error) => console.error('[allot] sampling failed:', error.message),
      );
    },
    async stop() {
      await source.stop();
    },
    async handle(channel, payload) {
      const request = parseRequest(channel, payload);
      if (!request.ok) return request;
      try {
        const value = await call(request.value.channel, request.value.input);
        return parseResponse(request.value.channel, value);
      } catch (error) {
        const code = (error as { code?: unknown }).code === 'not-ready' ? 'not-ready' : 'internal';
        return { ok: false, error: { code, message: error instanceof Error ? error.message : String(error) } };
      }
    },
    call,
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
