// Electron composition root: the only place that picks OS variants and wires core, IPC, window
// and tray. All logic lives in core/, monitor/, engine/, platform/ and store/.
import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startCoreHost } from './core/host';
import { defaultSocketPath } from './core/paths';
import { createMainWindow, installSessionPolicy, isAppUrl } from './electron/window';
import { forwardEvents, registerIpc } from './electron/ipc';
import { boostedNice, createTray, restrainedNice, type TrayController, type TrayEngineState } from './electron/tray';
import { createNotifier } from './electron/notifications';
import type { ProcessSample } from '../src-shared/domain';
import type { Settings } from '../src-shared/settings';
import type { TickReport } from '../src-shared/report';
import { restoreWindowBounds, trackWindowBounds } from './electron/window-state'; // desktop integration (issue 7)
import { shouldStartHidden, trayIconPath } from './electron/desktop'; // desktop integration (issue 7)

const rendererUrl =
  !app.isPackaged && process.env['ELECTRON_RENDERER_URL']
    ? process.env['ELECTRON_RENDERER_URL']
    : pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;
const preloadPath = join(import.meta.dirname, '../preload/preload.cjs');
const assets = join(app.getAppPath(), 'assets');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let window: BrowserWindow | undefined;
  let tray: TrayController | undefined;
  let quitting = false;

  // The whole core runs in a worker thread; this thread only relays IPC and drives window and tray.
  const core = startCoreHost(new URL('./core-worker.js', import.meta.url), {
    dataDir: app.getPath('userData'),
    runtime: 'electron',
    version: app.getVersion(),
    selfPids: [process.pid],
    adminSocketPath: defaultSocketPath(),
  });

  const showWindow = (): void => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  const toggleWindow = (): void => {
    if (window?.isVisible()) window.hide();
    else showWindow();
  };

  app.on('second-instance', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  // Closing the window hides to tray; the app keeps running until Quit.
  app.on('window-all-closed', () => undefined);

  app.whenReady().then(async () => {
    installSessionPolicy();
    registerIpc(core, (url) => isAppUrl(url, rendererUrl));
    window = createMainWindow({
      preloadPath,
      rendererUrl,
      iconPath: join(assets, 'icon.png'),
      shouldHideOnClose: () => !quitting,
      bounds: restoreWindowBounds(), // issue 7: remembered size/position, clamped to current displays
      show: !shouldStartHidden(undefined), // issue 7: --hidden (login item); pass settings for startMinimized
    });
    trackWindowBounds(window); // issue 7
    forwardEvents(core, () => window?.webContents);
    tray = createTray(trayIconPath(assets), { toggleWindow, quit: () => app.quit() });
    let lastTrayUpdateMs = 0;
    core.on('tick', ({ sample }) => {
      if (sample.at - lastTrayUpdateMs < 2000) return;
      lastTrayUpdateMs = sample.at;
      tray?.update({ windowVisible: window?.isVisible() ?? false, processes: sample.processes, systemCpuPercent: sample.system.cpuPercent });
    });
    tray.update({ windowVisible: true, processes: [] });
    await core.ready;
  });

  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    tray?.destroy();
    void core.stop().finally(() => app.quit());
  });
}
