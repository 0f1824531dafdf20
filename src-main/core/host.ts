// The UI-facing side of the core: starts core-worker.ts in a worker thread and offers the same
// CoreLike surface (handle, on, stop) by relaying messages. Electron main and `allot serve` use this.
import { Worker } from 'node:worker_threads';
import type { EventChannel, EventPayload, Result } from '../../src-shared/contract';
import type { CallContext, CoreLike } from './service';

export interface CoreWorkerData {
  dataDir: string;
  runtime: 'electron' | 'node';
  version: string;
  intervalMs?: number;
  /** Engine mode to start in (stored as the setting); absent: the stored setting (a fresh install: auto). */
  engineMode?: 'off' | 'advise' | 'auto';
  selfPids: number[];
  /** Listen for the `allot` CLI here; null: no admin socket. */
  adminSocketPath: string | null;
  /** The privileged helper script (packaged apps keep it in resources/helper). */
  helperPath?: string;
}

export type ToCoreWorker =
  | { type: 'request'; id: number; channel: unknown; payload: unknown; context?: CallContext }
  /** Which events the UI-facing side has listeners for: the core sends (and clones) only those. */
  | { type: 'demand'; events: EventChannel[] }
  | { type: 'stop' };
export type FromCoreWorker =
  | { type: 'ready'; adminSocketPath: string | null }
  | { type: 'response'; id: number; result: Result<unknown> }
  | { type: 'event'; event: EventChannel; payload: unknown }
  | { type: 'log'; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'stopped' };

export interface CoreHost extends CoreLike {
  /** Resolves when the core has started sampling; rejects if it could not start. */
  readonly ready: Promise<{ adminSocketPath: string | null }>;
}

/** `workerUrl` is the built core-worker.js, or the TypeScript source (tests), loaded through tsx. */
export function startCoreHost(
  workerUrl: URL,
  data: CoreWorkerData,
  log: (message: string) => void = console.error,
  /** Called if the core stops without being asked to (a crash): the runtime should not go on without it. */
  onUnexpectedExit?: (code: number) => void,
): CoreHost {
  // From source (tests), load the TypeScript worker through tsx's API from a tiny JS bootstrap:
  // Node 20 does not apply `--import tsx` hooks inside workers reliably.
  const worker = workerUrl.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(workerUrl.href)}, ${JSON.stringify(workerUrl.href)}))`, {
        eval: true,
        workerData: data,
      })
    : new Worker(workerUrl, { workerData: data });
  let nextId = 1;
  let exited = false;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  let onStopped: (() => void) | undefined;
  let resolveReady!: (value: { adminSocketPath: string | null }) => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<{ adminSocketPath: string | null }>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);

  worker.on('message', (message: FromCoreWorker) => {
    switch (message.type) {
      case 'ready':
        resolveReady({ adminSocketPath: message.adminSocketPath });
        break;
      case 'response': {
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve?.(message.result);
        break;
      }
      case 'event':
        listeners.get(message.event)?.forEach((listener) => {
          try {
            listener(message.payload);
          } catch (error) {
            log(`[allot] ${message.event} listener failed: ${(error as Error).message}`);
          }
        });
        break;
      case 'log':
        log(`[allot] ${message.message}`);
        break;
      case 'fatal':
        rejectReady(new Error(message.message));
        break;
      case 'stopped':
        onStopped?.();
        break;
    }
  });
  worker.on('error', (error) => rejectReady(error));
  let stopping = false;
  worker.on('exit', (code) => {
    exited = true;
    if (!stopping) {
      log(`[allot] the core stopped unexpectedly (code ${code})`);
      onUnexpectedExit?.(code);
    }
    rejectReady(new Error(`core worker exited with code ${code}`));
    for (const [id, resolve] of pending) {
      resolve({ ok: false, error: { code: 'internal', message: 'the core stopped' } });
      pending.delete(id);
    }
    onStopped?.();
  });

  /** Tell the core which events have listeners here: no listener, no message (and no clone) per tick. */
  function sendDemand(): void {
    if (exited) return;
    const events = [...listeners].filter(([, set]) => set.size > 0).map(([event]) => event);
    worker.postMessage({ type: 'demand', events } satisfies ToCoreWorker);
  }

  return {
    ready,
    async handle(channel, payload, context) {
      if (exited) return { ok: false, error: { code: 'not-ready', message: 'the core is not running' } };
      const id = nextId++;
      return new Promise<Result<unknown>>((resolve) => {
        pending.set(id, resolve);
        try {
          worker.postMessage({ type: 'request', id, channel, payload, ...(context ? { context } : {}) } satisfies ToCoreWorker);
        } catch (error) {
          // A payload that cannot be cloned (e.g. nested too deep) is the caller's fault, never a crash.
          pending.delete(id);
          resolve({ ok: false, error: { code: 'invalid-input', message: `request could not be passed to the core: ${(error as Error).message}` } });
        }
      });
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      if (set.size === 1) sendDemand();
      return () => {
        if (set.delete(entry) && set.size === 0) sendDemand();
      };
    },
    async stop() {
      if (exited) return;
      stopping = true;
      // The worker restores every change in force and flushes history before it says 'stopped'.
      const stopped = new Promise<void>((resolve) => (onStopped = resolve));
      worker.postMessage({ type: 'stop' } satisfies ToCoreWorker);
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      await worker.terminate();
    },
  };
}
