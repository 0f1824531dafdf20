// IPC bridge: one ipcMain handler per contract request channel. Each checks the sender frame is
// our own renderer, then hands the untrusted payload to core.handle (which validates it).
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { eventChannels, requestChannels, type Result } from '../../src-shared/contract';
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

/** Forward every contract event to a renderer. */
export function forwardEvents(core: CoreLike, target: () => WebContents | undefined): () => void {
  const unsubscribers = eventChannels.map((event) =>
    core.on(event, (payload) => {
      const contents = target();
      if (contents && !contents.isDestroyed()) contents.send(ipcEventChannel(event), payload);
    }),
  );
  return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
}
