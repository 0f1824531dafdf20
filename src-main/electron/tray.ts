// Tray icon and its menu. The icon shows load (a bar) and engine state (a dot); the menu offers
// Show/Hide, engine mode, profile, pause for 1 hour, the top CPU and memory consumers with
// Restrain/Boost, and Quit. Menu template and icon pixels are built by plain functions from plain
// state, so they are testable without Electron.
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { ProcessSample } from '../../src-shared/domain';
import type { Mode } from '../../src-shared/engine';
import { formatBytes, formatPercent, formatDurationMs } from '../../src-shared/format';

export interface TrayEngineState {
  mode: Mode;
  effectiveMode: Mode;
  pausedUntilMs: number | null;
  profileId: string;
  profiles: ReadonlyArray<{ id: string; name: string }>;
  /** Processes the engine holds restrained now (engine.state). */
  restrained?: number;
  /** One line on what the engine did in the last hour, when the core provides it. */
  summary?: string;
}

export interface TrayState {
  windowVisible: boolean;
  processes: readonly ProcessSample[];
  systemCpuPercent?: number;
  engine?: TrayEngineState;
  nowMs?: number;
}

export interface TrayActions {
  toggleWindow(): void;
  quit(): void;
  setMode?(mode: Mode): void;
  setProfile?(profileId: string): void;
  /** minutes = 0 resumes. */
  pause?(minutes: number): void;
  /** Lower (restrain) or raise (boost) one process. */
  restrain?(process: ProcessSample): void;
  boost?(process: ProcessSample): void;
}

export function topBy(processes: readonly ProcessSample[], count: number, key: (process: ProcessSample) => number): ProcessSample[] {
  const top: ProcessSample[] = [];
  for (const process of processes) {
    if (top.length < count || key(process) > key(top[top.length - 1]!)) {
      top.push(process);
      top.sort((a, b) => key(b) - key(a));
      if (top.length > count) top.pop();
    }
  }
  return top;
}

/** The nice a tray Restrain sets: background level, or one step further if already there. */
export function restrainedNice(current: number): number {
  return current < 10 ? 10 : Math.min(19, current + 5);
}

/** The nice a tray Boost sets: back to normal, or above normal if already normal. */
export function boostedNice(current: number): number {
  return current > 0 ? 0 : Math.max(-20, current - 5);
}

export function topCpu(processes: readonly ProcessSample[], count: number): ProcessSample[] {
  return topBy(processes, count, (process) => process.cpuPercent);
}

const MODE_LABELS: Record<Mode, string> = { off: 'Off', advise: 'Advise (suggest only)', auto: 'Auto' };

function consumerItems(
  heading: string,
  idPrefix: string,
  processes: readonly ProcessSample[],
  describe: (process: ProcessSample) => string,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  if (processes.length === 0) return [{ id: `${idPrefix}-none`, label: `${heading}: waiting for the first sample…`, enabled: false }];
  return [
    { id: `${idPrefix}-header`, label: heading, enabled: false },
    ...processes.map((process, index): MenuItemConstructorOptions => {
      const label = `${process.name} (${process.pid}): ${describe(process)}`;
      if (!actions.restrain && !actions.boost) return { id: `${idPrefix}-${index}`, label, enabled: false };
      return {
        id: `${idPrefix}-${index}`,
        label,
        submenu: [
          { id: `${idPrefix}-${index}-restrain`, label: 'Restrain (lower priority)', click: () => actions.restrain?.(process), enabled: !!actions.restrain },
          { id: `${idPrefix}-${index}-boost`, label: 'Boost (raise priority)', click: () => actions.boost?.(process), enabled: !!actions.boost },
        ],
      };
    }),
  ];
}

export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const nowMs = state.nowMs ?? Date.now();
  const engine = state.engine;
  const engineItems: MenuItemConstructorOptions[] = engine
    ? [
        {
          id: 'engine-summary',
          label: engine.summary ?? (engine.restrained ? `Restraining ${engine.restrained} process${engine.restrained === 1 ? '' : 'es'} now` : 'The engine restrains nothing now'),
          enabled: false,
        },
        {
          id: 'mode',
          label: `Engine: ${MODE_LABELS[engine.effectiveMode]}${engine.pausedUntilMs ? ` (paused, ${formatDurationMs(engine.pausedUntilMs - nowMs)} left)` : ''}`,
          submenu: (['off', 'advise', 'auto'] as const).map((mode) => ({
            id: `mode-${mode}`,
            label: MODE_LABELS[mode],
            type: 'radio' as const,
            checked: engine.mode === mode,
            click: () => actions.setMode?.(mode),
          })),
        },
        {
          id: 'profile',
          label: `Profile: ${engine.profiles.find((profile) => profile.id === engine.profileId)?.name ?? engine.profileId}`,
          submenu: engine.profiles.map((profile) => ({
            id: `profile-${profile.id}`,
            label: profile.name,
            type: 'radio' as const,
            checked: profile.id === engine.profileId,
            click: () => actions.setProfile?.(profile.id),
          })),
        },
        engine.pausedUntilMs
          ? { id: 'resume', label: 'Resume engine now', click: () => actions.pause?.(0) }
          : { id: 'pause', label: 'Pause engine for 1 hour', click: () => actions.pause?.(60), enabled: engine.mode !== 'off' },
        { type: 'separator' },
      ]
    : [];
  return [
    { id: 'toggle', label: state.windowVisible ? 'Hide Allot' : 'Show Allot', click: () => actions.toggleWindow() },
    { type: 'separator' },
    ...engineItems,
    ...consumerItems('Top CPU', 'top', topCpu(state.processes, 3), (process) => formatPercent(process.cpuPercent), actions),
    { type: 'separator' },
    ...consumerItems('Top memory', 'mem', topBy(state.processes, 3, (process) => process.rssBytes), (process) => formatBytes(process.rssBytes), actions),
    { type: 'separator' },
    { id: 'quit', label: 'Quit Allot', click: () => actions.quit() },
  ];
}

export function trayTooltip(state: TrayState): string {
  const parts = ['Allot'];
  if (state.systemCpuPercent !== undefined) parts.push(`CPU ${formatPercent(state.systemCpuPercent)}`);
  if (state.engine) parts.push(`engine ${state.engine.effectiveMode}${state.engine.pausedUntilMs ? ' (paused)' : ''}`);
  return parts.join(' · ');
}

const DOT_COLORS: Record<Mode, [number, number, number]> = {
  off: [150, 150, 150],
  advise: [230, 170, 20],
  auto: [40, 180, 90],
};

/**
 * Tray icon pixels (BGRA, as nativeImage.createFromBitmap wants): a tile whose bar rises with CPU
 * load, and a dot in the corner for the engine state (grey off, amber advise, green auto).
 */
export function trayIconBitmap(size: number, cpuPercent: number | undefined, mode: Mode | undefined): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const load = Math.max(0, Math.min(100, cpuPercent ?? 0)) / 100;
  const barTop = Math.round((size - 2) * (1 - load)) + 1;
  const barColor: [number, number, number] = load > 0.85 ? [220, 60, 50] : load > 0.6 ? [230, 150, 30] : [47, 111, 222];
  const dot = mode ? DOT_COLORS[mode] : undefined;
  const dotRadius = Math.max(2, size / 5);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      let rgb: [number, number, number] | undefined;
      const border = x === 0 || y === 0 || x === size - 1 || y === size - 1;
      if (border) rgb = [90, 90, 90];
      else if (y >= barTop && x >= size * 0.25 && x < size * 0.6) rgb = barColor;
      if (dot && (x - (size - dotRadius - 1)) ** 2 + (y - dotRadius) ** 2 <= dotRadius ** 2) rgb = dot;
      if (!rgb) continue;
      pixels[i] = rgb[2];
      pixels[i + 1] = rgb[1];
      pixels[i + 2] = rgb[0];
      pixels[i + 3] = 255;
    }
  }
  return pixels;
}

export interface TrayController {
  update(state: TrayState): void;
  destroy(): void;
}

export function createTray(iconPath: string, actions: TrayActions): TrayController {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.setToolTip('Allot');
  tray.on('click', () => actions.toggleWindow());
  let lastIconKey = '';
  return {
    update(state) {
      tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, actions)));
      tray.setToolTip(trayTooltip(state));
      // Redraw the icon only when what it shows changes (load in 10 % steps, engine state).
      const iconKey = `${Math.round((state.systemCpuPercent ?? 0) / 10)}:${state.engine?.effectiveMode ?? ''}`;
      if (iconKey !== lastIconKey) {
        lastIconKey = iconKey;
        const image: NativeImage = nativeImage.createFromBitmap(trayIconBitmap(32, state.systemCpuPercent, state.engine?.effectiveMode), { width: 32, height: 32 });
        tray.setImage(image.resize({ width: 16, height: 16 }));
      }
    },
    destroy() {
      tray.destroy();
    },
  };
}
