// Worker-thread entry: the whole core (sampler, store, actuator, engine) runs here, off the
// UI-facing thread. The main thread (Electron main or the `allot serve` HTTP loop) only relays
// requests in and events out through host.ts. The admin socket is served from here too.
import { parentPort, workerData } from 'node:worker_threads';
import { eventChannels, type EventChannel } from '../../src-shared/contract';
import { createAppCore } from './app';
import { startAdminSocket, type AdminSocket } from '../core/admin-socket';
import type { FromCoreWorker, ToCoreWorker, CoreWorkerData } from './host';
import { InstanceLockedError } from './instance-lock';

const port = parentPort;
if (!port) throw new Error('core-worker must run in a worker thread');
const data = workerData as CoreWorkerData;
const send = (message: FromCoreWorker): void => port.postMessage(message);

// One listener from the start: messages that arrive while the core is still being built (requests,
// the event demand, stop) wait in `early` and are handled, in order, once it exists.
let early: ToCoreWorker[] | undefined = [];
let dispatch: (message: ToCoreWorker) => void = (message) => early?.push(message);
port.on('message', (message: ToCoreWorker) => dispatch(message));

async function main(): Promise<void> {
  const app = await createAppCore({
    dataDir: data.dataDir,
    runtime: data.runtime,
    version: data.version,
    ...(data.intervalMs !== undefined ? { intervalMs: data.intervalMs } : {}),
    ...(data.engineMode !== undefined ? { engineMode: data.engineMode } : {}),
    selfPids: data.selfPids,
    ...(data.helperPath ? { helperPath: data.helperPath } : {}),
    gruWorkerUrl: new URL(import.meta.url.endsWith('.ts') ? './gru-worker.ts' : './gru-worker.js', import.meta.url),
  });
  // Events cross to the UI-facing thread only while something there listens (a window, a browser):
  // with nobody watching, nothing is cloned per tick.
  const relays = new Map<EventChannel, () => void>();
  const setDemand = (events: readonly EventChannel[]): void => {
    const wanted = new Set(events.filter((event) => eventChannels.includes(event)));
    for (const [event, off] of relays) {
      if (wanted.has(event)) continue;
      off();
      relays.delete(event);
    }
    for (const event of wanted) {
      if (!relays.has(event)) relays.set(event, app.core.on(event, (payload) => send({ type: 'event', event, payload })));
    }
  };
  let admin: AdminSocket | undefined;
  if (data.adminSocketPath) {
    try {
      admin = await startAdminSocket(app.core, data.adminSocketPath);
    } catch (error) {
      send({ type: 'log', message: `admin socket not started: ${(error as Error).message}` });
    }
  }
  dispatch = (message: ToCoreWorker) => {
    if (message.type === 'demand') {
      setDemand(message.events);
    } else if (message.type === 'request') {
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
  };
  const queued = early ?? [];
  early = undefined;
  for (const message of queued) dispatch(message);
  await app.core.start();
  send({ type: 'ready', adminSocketPath: admin?.path ?? null });
}

// An expected refusal (another instance holds the data directory) is a sentence for a person; anything else keeps its stack.
main().catch((error: unknown) =>
  send({ type: 'fatal', message: error instanceof InstanceLockedError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
