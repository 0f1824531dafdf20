// Resolved theme: the `theme` setting when it forces one, else the OS preference (live).
import { useEffect, useState } from 'react';
import type { Theme } from '../../src-shared/settings';

function osPrefersDark(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function resolveTheme(setting: Theme | undefined, osDark: boolean): 'light' | 'dark' {
  if (setting === 'light' || setting === 'dark') return setting;
  return osDark ? 'dark' : 'light';
}

/** True when the UI is dark; follows OS changes while the setting is "system". */
export function useDarkMode(setting: Theme | undefined): boolean {
  const [osDark, setOsDark] = useState(osPrefersDark);
  useEffect(() => {
    if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return;
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = (): void => setOsDark(query.matches);
    query.addEventListener?.('change', onChange);
    return () => query.removeEventListener?.('change', onChange);
  }, []);
  return resolveTheme(setting, osDark) === 'dark';
}
