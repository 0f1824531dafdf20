// Where sampling runs. The core only sees a SampleSource; the composition root picks the worker
// variant (sampling off the UI-facing thread), tests may pick the inline one.
import { Worker } from 'node:worker_threads';
import type { Sample, SystemInfo } from '../../src-shared/domain';
import type { Sampler } from '../monitor/types';

export interface SampleSource {
  readonly name: string;
  info(): Promise<SystemInfo>;
  /** Begin sampling every `intervalMs`; each Sample goes to `onSample`. */
  start(intervalMs: number, onSample: (sample: Sample) => void, onError: (error: Error) => void): Promise<void>;
  setIntervalMs(intervalMs: number): void;
  stop(): Promise<void>;
}

/** Messages between the core and the sampler worker. */
export type ToWorker =
  | { type: 'start'; intervalMs: number }
  | { type: 'interval'; intervalMs: number }
  | { type: 'stop' };
export type FromWorker =
  | { type: 'ready'; name: string; info: SystemInfo }
  | { type: 'sample'; sample: Sample }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

/**
 * A loop that calls `sampler.sample()` every `intervalMs`, measured from the start of each sample so
 * slow ticks do not drift. Shared by the inline source and the worker.
 */
export function createSampleLoop(
  sampler: Sampler,
  onSample: (sample: Sample) => void,
  onError: (error: Error) => void,
): { start(intervalMs: number): void; setIntervalMs(intervalMs: number): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let intervalMs = 1000;
  let running = false;
  const run = async (): Promise<void> => {
    if (!running) return;
    const startedAt = Date.now();
    try {
      onSample(await sampler.sample());
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
    if (!running) return;
    timer = setTimeout(run, Math.max(0, intervalMs - (Date.now() - startedAt)));
  };
  return {
    start(ms) {
      intervalMs = ms;
      if (running) return;
      running = true;
      void run();
    },
    setIntervalMs(ms) {
      intervalMs = ms;
      if (running && timer) {
        clearTimeout(timer);
        timer = setTimeout(run, ms);
      }
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Sampling on the calling thread (tests, tools). */
export function createInlineSampleSource(sampler: Sampler): SampleSource {
  let loop: ReturnType<typeof createSampleLoop> | undefined;
  return {
    name: sampler.name,
    info: () => sampler.info(),
    async start(intervalMs, onSample, onError) {
      loop = createSampleLoop(sampler, onSample, onError);
      loop.start(intervalMs);
    },
    setIntervalMs(intervalMs) {
      loop?.setIntervalMs(intervalMs);
    },
    async stop() {
      loop?.stop();
      sampler.close();
    },
  };
}

/**
 * Sampling in a worker thread. `workerUrl` points at the built `sampler-worker.js`, or at the
 * TypeScript source when running from source (tests), which then loads through tsx.
 */
export function createWorkerSampleSource(workerUrl: URL): SampleSource {
  const fromSource = workerUrl.pathname.endsWith('.ts');
  const worker = new Worker(workerUrl, fromSource ? { execArgv: ['--import', 'tsx'] } : {});
  worker.unref();
  let sampleListener: ((sample: Sample) => void) | undefined;
  let errorListener: ((error: Error) => void) | undefined;
  let name = 'worker';
  let exited = false;
  const ready = new Promise<SystemInfo>((resolve, reject) => {
    const onMessage = (message: FromWorker): void => {
      if (message.type === 'ready') {
        name = message.name;
        resolve(message.info);
      } else if (message.type === 'error' && !sampleListener) {
        reject(new Error(message.message));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      exited = true;
      reject(new Error(`sampler worker exited with code ${code}`));
    });
  });
  // A ready promise nobody awaits yet must not become an unhandled rejection.
  ready.catch(() => undefined);
  worker.on('message', (message: FromWorker) => {
    if (message.type === 'sample') sampleListener?.(message.sample);
    else if (message.type === 'error') errorListener?.(new Error(message.message));
  });
  worker.on('error', (error) => errorListener?.(error));
  const post = (message: ToWorker): void => {
    if (!exited) worker.postMessage(message);
  };
  return {
    get name() {
      return name;
    },
    info: () => ready,
    async start(intervalMs, onSample, onError) {
      sampleListener = onSample;
      errorListener = onError;
      await ready;
      post({ type: 'start', intervalMs });
    },
    setIntervalMs(intervalMs) {
      post({ type: 'interval', intervalMs });
    },
    async stop() {
      if (exited) return;
      const stopped = new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'stopped') resolve();
        });
      });
      post({ type: 'stop' });
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000))]);
      await worker.terminate();
    },
  };
}
