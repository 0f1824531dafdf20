// Worker-thread entry: owns the OS collector and samples off the UI-facing thread. The core on
// the main thread only receives finished Samples.
import { parentPort } from 'node:worker_threads';
import { createSampler } from '../monitor';
import { createSampleLoop, type FromWorker, type ToWorker } from './sample-source';

const port = parentPort;
if (!port) throw new Error('sampler-worker must run in a worker thread');
const send = (message: FromWorker): void => port.postMessage(message);

async function main(): Promise<void> {
  const sampler = createSampler();
  const info = await sampler.info();
  const loop = createSampleLoop(
    sampler,
    (sample) => send({ type: 'sample', sample }),
    (error) => send({ type: 'error', message: error.message }),
  );
  port!.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'start':
        loop.start(message.intervalMs);
        break;
      case 'interval':
        loop.setIntervalMs(message.intervalMs);
        break;
      case 'stop':
        loop.stop();
        sampler.close();
        send({ type: 'stopped' });
        port!.close();
        break;
    }
  });
  send({ type: 'ready', name: sampler.name, info });
}

main().catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
