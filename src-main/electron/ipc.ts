// IPC bridge: one ipcMain handler per contract request channel. Each checks the sender frame is
// our own renderer, then hands the untrusted payload to core.handle (which validates it).
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { TICK_KEYFRAME_EVERY, eventChannels, requestChannels, type IpcTickMessage, type Result, type Tick } from '../../src-shared/contract';
import { ProcessDeltaEncoder, withProcesses } from '../../src-shared/process-delta';
import { ipcEventChannel, ipcRequestChannel } from '../../src-shared/channels';
import type { CoreLike } from '../core/service';

export function registerIpc(core: CoreLike, isTrustedUrl: (url: string) => boolean): () => void {
  for (const channel of requestChannels) {
    ipcMain.handle(ipcRequestChannel(channel), async (event: IpcMainInvokeEvent, payload: unknown): Promise<Result<unknown>> => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (!event.senderFrame || !isTrustedUrl(frameUrl)) {
        return { ok: false, error: { code: 'forbidden', message: 'request from an untrusted frame refused' } };
      }
      return core.handle(channel, payload);
    });
  }
  return () => {
    for (const channel of requestChannels) ipcMain.removeHandler(ipcRequestChannel(channel));
  };
}

/**
 * Forward every contract event to a renderer. Ticks go as process deltas (IpcTickMessage): most of
 * 1,000 processes do not change from one second to the next, and every tick is otherwise cloned
 * twice, to the preload and through the context bridge. The delta starts complete for a new
 * WebContents, after each page load, and every TICK_KEYFRAME_EVERY ticks.
 */
export interface WindowVisibility {
  visible(): boolean;
  /** Call `listener` whenever the window is shown, hidden, minimized or restored; returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}

/**
 * With `visibility`, ticks are forwarded only while the window is visible: a window hidden in the
 * tray costs no tick at all (the core does not even send them to this thread while nothing else
 * listens), and the first tick after it shows again is complete.
 */
export function forwardEvents(core: CoreLike, target: () => WebContents | undefined, visibility?: WindowVisibility): () => void {
  let encoder: ProcessDeltaEncoder | undefined;
  let encoderFor: WebContents | undefined;
  let sinceComplete = 0;
  const watched = new WeakSet<WebContents>();
  const sendTick = (contents: WebContents, tick: Tick): void => {
    if (encoderFor !== contents) {
      encoderFor = contents;
      encoder = undefined;
    }
    if (!watched.has(contents)) {
      watched.add(contents);
      // A reloaded page starts with nothing: the next tick is complete.
      contents.on('did-finish-load', () => {
        if (encoderFor === contents) encoder = undefined;
      });
    }
    const complete = encoder === undefined || sinceComplete >= TICK_KEYFRAME_EVERY;
    if (complete || !encoder) {
      encoder = new ProcessDeltaEncoder();
      sinceComplete = 0;
    }
    sinceComplete++;
    const processes = tick.sample.processes;
    const delta = encoder.encode(processes);
    encoder.commit(delta);
    const message: IpcTickMessage = {
      tick: withProcesses(tick, []),
      processes: { changed: delta.changedIndexes.map((index) => processes[index]!), removed: delta.removed, count: delta.count },
      complete,
    };
    contents.send(ipcEventChannel('tick'), message);
  };
  const forward = (event: (typeof eventChannels)[number]) =>
    core.on(event, (payload) => {
      const contents = target();
      if (!contents || contents.isDestroyed()) return;
      if (event === 'tick') sendTick(contents, payload as Tick);
      else contents.send(ipcEventChannel(event), payload);
    });
  const unsubscribers = eventChannels.filter((event) => event !== 'tick').map(forward);
  let offTick: (() => void) | undefined;
  const syncTicks = (): void => {
    const wanted = visibility ? visibility.visible() : true;
    if (wanted && !offTick) {
      encoder = undefined; // the page missed ticks while hidden: start complete
      offTick = forward('tick');
    } else if (!wanted && offTick) {
      offTick();
      offTick = undefined;
    }
  };
  syncTicks();
  const offVisibility = visibility?.onChange(syncTicks);
  return () => {
    unsubscribers.forEach((unsubscribe) => unsubscribe());
    offTick?.();
    offVisibility?.();
  };
}
