// Electron composition root: the only place that picks OS variants and wires core, IPC, window
// and tray. All logic lives in core/, monitor/, engine/, platform/ and store/.
import { app, BrowserWindow, dialog } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startCoreHost } from './core/host';
import { latestSample } from './core/latest-sample';
import { defaultSocketPath } from './core/paths';
import { desktopDataDir } from './electron/data-dir';
import { defaultHelperPath } from './helper/client';
import { createMainWindow, installSessionPolicy, isAppUrl } from './electron/window';
import { forwardEvents, registerIpc } from './electron/ipc';
import { boostedNice, createTray, restrainedNice, type TrayController, type TrayEngineState } from './electron/tray';
import { createNotifier } from './electron/notifications';
import type { ProcessSample, Sample } from '../src-shared/domain';
import type { Settings } from '../src-shared/settings';
import type { TickReport } from '../src-shared/report';
import { restoreWindowBounds, trackWindowBounds } from './electron/window-state';
import { applyDesktopSettings, shouldStartHidden, trayIconPath } from './electron/desktop';
import { errorMessage } from '../src-shared/errors';

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
  const fatal = (message: string): void => {
    dialog.showErrorBox('Allot cannot continue', message);
    app.quit();
  };
  const core = startCoreHost(
    new URL('./core-worker.js', import.meta.url),
    {
      dataDir: desktopDataDir().dataDir, // the one data directory, shared with `allot serve` and the CLI
      runtime: 'electron',
      version: app.getVersion(),
      selfPids: [process.pid],
      adminSocketPath: defaultSocketPath(),
      helperPath: defaultHelperPath({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appRoot: app.getAppPath() }),
    },
    undefined,
    (code) => fatal(`Allot's monitoring core stopped unexpectedly (code ${code}). Changes it made are put back the next time Allot starts.`),
  );

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
    // Settings live in the core; the window and login item follow them (start minimized, theme).
    const initial = await core.handle('settings.get', {});
    let settings: Settings | undefined = initial.ok ? (initial.value as Settings) : undefined;
    if (settings) applyDesktopSettings(settings);
    window = createMainWindow({
      preloadPath,
      rendererUrl,
      iconPath: join(assets, 'icon.png'),
      shouldHideOnClose: () => !quitting,
      bounds: restoreWindowBounds(), // remembered size/position, clamped to current displays
      show: !shouldStartHidden(settings), // --hidden (login item) or the startMinimized setting
    });
    trackWindowBounds(window);
    forwardEvents(core, () => window?.webContents, {
      visible: () => window !== undefined && !window.isDestroyed() && window.isVisible() && !window.isMinimized(),
      onChange(listener) {
        const events = ['show', 'hide', 'minimize', 'restore'] as const;
        for (const event of events) window?.on(event as 'show', listener);
        return () => {
          for (const event of events) window?.removeListener(event as 'show', listener);
        };
      },
    });

    // Tray quick actions go through the same contract as the UI, audited as the tray.
    const act = (channel: string, payload: unknown): void => {
      void core.handle(channel, payload, { actor: 'tray' }).then((result) => {
        if (!result.ok) console.error(`[allot] tray action ${channel} failed: ${result.error.message}`);
      });
    };
    const setNice = (process: ProcessSample, nice: number, why: string): void =>
      act('changes.apply', { target: { pid: process.pid, startTime: process.startTime }, change: { op: 'priority', value: { nice } }, why });
    tray = createTray(trayIconPath(assets), {
      toggleWindow,
      quit: () => app.quit(),
      setMode: (mode) => act('engine.setMode', { mode }),
      setProfile: (profileId) => act('engine.setProfile', { profileId }),
      pause: (minutes) => act('engine.pause', { minutes }),
      restrain: (process) => setNice(process, restrainedNice(process.nice), 'restrained from the tray'),
      boost: (process) => setNice(process, boostedNice(process.nice), 'boosted from the tray'),
    });
    let lastTrayUpdateMs = 0;
    let engineState: TrayEngineState | undefined;
    // The tray reads the latest sample every few seconds instead of taking every tick: with the
    // window hidden, no tick crosses from the core at all.
    const trayTimer = setInterval(() => {
      void latestSample(core).then((sample) => sample && updateTray(sample));
    }, 3000);
    trayTimer.unref?.();
    const updateTray = (sample: Sample) => {
      if (sample.at === lastTrayUpdateMs) return; // nothing new since the last refresh
      lastTrayUpdateMs = sample.at;
      // Pick up settings changed in the UI (theme, login item, notifications) every couple of seconds.
      void core.handle('settings.get', {}).then((result) => {
        if (!result.ok) return;
        const next = result.value as Settings;
        if (settings && (next.theme !== settings.theme || next.startAtLogin !== settings.startAtLogin || next.startMinimized !== settings.startMinimized)) {
          applyDesktopSettings(next);
        }
        settings = next;
      });
      void core.handle('engine.state', {}).then((result) => {
        if (result.ok) engineState = result.value as TrayEngineState;
        tray?.update({
          windowVisible: window?.isVisible() ?? false,
          processes: sample.processes,
          systemCpuPercent: sample.system.cpuPercent,
          ...(engineState ? { engine: engineState } : {}),
        });
      });
    };
    tray.update({ windowVisible: !shouldStartHidden(settings), processes: [] });
    // Alerts and refused actions as native notifications, rate-limited, if the user wants them.
    const notifier = createNotifier();
    core.on('engine', (report: TickReport) => {
      notifier.onReport(report, settings?.notifications.enabled ?? true);
    });
    await core.ready;
  }).catch((error: unknown) => fatal(`Allot could not start: ${errorMessage(error)}`));

  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    tray?.destroy();
    void core.stop().finally(() => app.quit());
  });
}
