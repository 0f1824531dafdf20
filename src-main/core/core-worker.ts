// Worker-thread entry: the whole core (sampler, store, actuator, engine) runs here, off the
// UI-facing thread. The main thread (Electron main or the `allot serve` HTTP loop) only relays
// requests in and events out through host.ts. The admin socket is served from here too.
import { parentPort, workerData } from 'node:worker_threads';
import { eventChannels } from '../../src-shared/contract';
import { createAppCore } from './app';
import { startAdminSocket, type AdminSocket } from '../core/admin-socket';
import type { FromCoreWorker, ToCoreWorker, CoreWorkerData } from './host';

const port = parentPort;
if (!port) throw new Error('core-worker must run in a worker thread');
const data = workerData as CoreWorkerData;
const send = (message: FromCoreWorker): void => port.postMessage(message);

async function main(): Promise<void> {
  const app = await createAppCore({
    dataDir: data.dataDir,
    runtime: data.runtime,
    version: data.version,
    ...(data.intervalMs !== undefined ? { intervalMs: data.intervalMs } : {}),
    selfPids: data.selfPids,
    ...(data.helperPath ? { helperPath: data.helperPath } : {}),
    gruWorkerUrl: new URL(import.meta.url.endsWith('.ts') ? './gru-worker.ts' : './gru-worker.js', import.meta.url),
  });
  for (const event of eventChannels) app.core.on(event, (payload) => send({ type: 'event', event, payload }));
  let admin: AdminSocket | undefined;
  if (data.adminSocketPath) {
    try {
      admin = await startAdminSocket(app.core, data.adminSocketPath);
    } catch (error) {
      send({ type: 'log', message: `admin socket not started: ${(error as Error).message}` });
    }
  }
  port!.on('message', (message: ToCoreWorker) => {
    if (message.type === 'request') {
      void app.core.handle(message.channel, message.payload, message.context).then((result) => send({ type: 'response', id: message.id, result }));
    } else if (message.type === 'stop') {
      void (async () => {
        try {
          await Promise.all([app.close(), admin?.close()]);
        } finally {
          send({ type: 'stopped' });
        }
      })();
    }
  });
  await app.core.start();
  send({ type: 'ready', adminSocketPath: admin?.path ?? null });
}

main().catch((error: unknown) => send({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
