// Desktop integration driven by settings: start at login, start minimized to tray, follow the OS theme,
// and the tray icon that suits the panel. OS APIs: Electron app.setLoginItemSettings (macOS: login
// items / SMAppService; Windows: the Run registry key), an XDG autostart .desktop file on Linux
// (~/.config/autostart, the freedesktop Desktop Application Autostart spec: Electron has no Linux
// login-item API), and nativeTheme (themeSource; shouldUseDarkColors + 'updated').
import { app, nativeTheme } from 'electron';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../src-shared/settings';
import { errorMessage } from '../../src-shared/errors';

/** Command-line flag the login item passes when the app should start in the tray. */
export const HIDDEN_ARG = '--hidden';
export const AUTOSTART_FILE_NAME = 'dev.allot.app.desktop';

export type DesktopSettings = Pick<Settings, 'theme' | 'startAtLogin' | 'startMinimized'>;

export type LoginItemOutcome =
  | { kind: 'applied'; openAtLogin: boolean; via: 'login-item' | 'xdg-autostart'; path?: string }
  | { kind: 'failed'; message: string }
  | { kind: 'unsupported'; reason: string };

export interface DesktopEnvironment {
  platform: NodeJS.Platform;
  /** The program to start at login: the AppImage file when running from one, else the executable. */
  executable: string;
  /** $XDG_CONFIG_HOME or ~/.config. */
  configHome: string;
  /** False in a dev checkout: a login item would point at the bare Electron binary. */
  isPackaged: boolean;
}

export function defaultEnvironment(): DesktopEnvironment {
  return {
    platform: process.platform,
    executable: process.env['APPIMAGE'] ?? process.execPath,
    configHome: process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config'),
    isPackaged: app.isPackaged,
  };
}

/** Quote one Exec= argument per the Desktop Entry spec. */
export function desktopExecArg(arg: string): string {
  if (!/[\s"'\\$`<>~|&;*?#()]/.test(arg)) return arg.replace(/%/g, '%%');
  return `"${arg.replace(/(["`$\\])/g, '\\$1').replace(/%/g, '%%')}"`;
}

export function autostartEntry(executable: string, startMinimized: boolean): string {
  const exec = [executable, ...(startMinimized ? [HIDDEN_ARG] : [])].map(desktopExecArg).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Allot',
    'Comment=Adaptive resource manager',
    `Exec=${exec}`,
    'Icon=allot',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Turn start-at-login on or off to match the settings. Never throws. */
export function applyLoginItem(settings: DesktopSettings, env: DesktopEnvironment = defaultEnvironment()): LoginItemOutcome {
  if (!env.isPackaged && settings.startAtLogin) return { kind: 'unsupported', reason: 'start at login needs the installed app (this is a development build)' };
  try {
    if (env.platform === 'darwin' || env.platform === 'win32') {
      app.setLoginItemSettings({
        openAtLogin: settings.startAtLogin,
        // Windows: passed to the app at login. macOS ignores args; startMinimized decides there.
        args: settings.startMinimized ? [HIDDEN_ARG] : [],
        ...(env.platform === 'win32' ? { path: env.executable } : {}),
      });
      return { kind: 'applied', openAtLogin: settings.startAtLogin, via: 'login-item' };
    }
    if (env.platform === 'linux' || env.platform === 'freebsd' || env.platform === 'openbsd') {
      const dir = join(env.configHome, 'autostart');
      const path = join(dir, AUTOSTART_FILE_NAME);
      if (settings.startAtLogin) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${path}.tmp`, autostartEntry(env.executable, settings.startMinimized), { mode: 0o644 });
        renameSync(`${path}.tmp`, path);
      } else if (existsSync(path)) {
        rmSync(path);
      }
      return { kind: 'applied', openAtLogin: settings.startAtLogin, via: 'xdg-autostart', path };
    }
    return { kind: 'unsupported', reason: `no login-item mechanism on ${env.platform}` };
  } catch (error) {
    return { kind: 'failed', message: `could not change start at login: ${errorMessage(error)}` };
  }
}

/** Follow the settings' theme ('system' follows the OS). */
export function applyTheme(theme: Settings['theme']): void {
  nativeTheme.themeSource = theme;
}

/** Apply every desktop-facing setting; call at startup and whenever one of them changes. Never throws. */
export function applyDesktopSettings(settings: DesktopSettings, env?: DesktopEnvironment): { loginItem: LoginItemOutcome } {
  try {
    applyTheme(settings.theme);
  } catch {
    // nativeTheme unavailable (tests without it): the window keeps its default colours
  }
  return { loginItem: applyLoginItem(settings, env) };
}

/**
 * Start in the tray instead of showing the window: the `startMinimized` setting, the flag a login
 * item passes, or macOS reporting it opened the app at login as hidden.
 */
export function shouldStartHidden(settings: Pick<Settings, 'startMinimized'> | undefined, argv: readonly string[] = process.argv): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  return settings?.startMinimized === true;
}

/**
 * The tray icon for this platform and panel colour: the macOS template image (the system tints it),
 * else a light glyph on dark panels and a dark glyph on light ones.
 */
export function trayIconPath(assetsDir: string, platform: NodeJS.Platform = process.platform, darkPanel: boolean = nativeTheme.shouldUseDarkColors): string {
  if (platform === 'darwin') return join(assetsDir, 'trayTemplate.png');
  return join(assetsDir, darkPanel ? 'tray-light.png' : 'tray-dark.png');
}

/** Call `onChange(dark)` when the OS (or the theme setting) switches between light and dark. Returns an unsubscribe. */
export function onThemeChange(onChange: (dark: boolean) => void): () => void {
  const listener = () => onChange(nativeTheme.shouldUseDarkColors);
  nativeTheme.on('updated', listener);
  return () => nativeTheme.removeListener('updated', listener);
}
