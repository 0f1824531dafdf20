// Tray icon and its menu: Show/Hide, the top three CPU consumers, Quit. The menu template is built
// by a plain function from plain state so it is testable without Electron.
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { ProcessSample } from '../../src-shared/domain';
import { formatPercent } from '../../src-shared/format';

export interface TrayState {
  windowVisible: boolean;
  processes: readonly ProcessSample[];
  systemCpuPercent?: number;
}

export interface TrayActions {
  toggleWindow(): void;
  quit(): void;
}

export function topCpu(processes: readonly ProcessSample[], count: number): ProcessSample[] {
  const top: ProcessSample[] = [];
  for (const process of processes) {
    if (top.length < count) {
      top.push(process);
      top.sort((a, b) => b.cpuPercent - a.cpuPercent);
    } else if (process.cpuPercent > top[count - 1]!.cpuPercent) {
      top[count - 1] = process;
      top.sort((a, b) => b.cpuPercent - a.cpuPercent);
    }
  }
  return top;
}

export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const top = topCpu(state.processes, 3);
  return [
    { id: 'toggle', label: state.windowVisible ? 'Hide Allot' : 'Show Allot', click: () => actions.toggleWindow() },
    { type: 'separator' },
    { id: 'top-header', label: 'Top CPU', enabled: false },
    ...(top.length === 0
      ? [{ id: 'top-none', label: 'Waiting for the first sample…', enabled: false } satisfies MenuItemConstructorOptions]
      : top.map(
          (process, index): MenuItemConstructorOptions => ({
            id: `top-${index}`,
            label: `${process.name} (${process.pid}): ${formatPercent(process.cpuPercent)}`,
            enabled: false,
          }),
        )),
    { type: 'separator' },
    { id: 'quit', label: 'Quit Allot', click: () => actions.quit() },
  ];
}

export function trayTooltip(state: TrayState): string {
  return state.systemCpuPercent === undefined ? 'Allot' : `Allot: CPU ${formatPercent(state.systemCpuPercent)}`;
}

export interface TrayController {
  update(state: TrayState): void;
  destroy(): void;
}

export function createTray(iconPath: string, actions: TrayActions): TrayController {
  const image = nativeImage.createFromPath(iconPath);
  const tray = new Tray(image);
  tray.setToolTip('Allot');
  tray.on('click', () => actions.toggleWindow());
  return {
    update(state) {
      tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, actions)));
      tray.setToolTip(trayTooltip(state));
    },
    destroy() {
      tray.destroy();
    },
  };
}
