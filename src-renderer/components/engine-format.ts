// How engine vocabulary reads for a person: an engine change (nice, tier, ...), the figures behind a
// decision (units from the key names), a horizon, a probability.
import type { Intent } from '../../src-shared/engine';
import { formatBytes, formatDurationMs } from '../../src-shared/format';
import { formatCpuList } from '../model/process-columns';

export function describeEngineChange(change: Intent): string {
  switch (change.op) {
    case 'nice':
      return `nice ${change.value}`;
    case 'tier':
      return `tier ${change.value}`;
    case 'sessionNice':
      return `session nice ${change.value}`;
    case 'affinity':
      return `CPUs ${formatCpuList(change.value)}`;
    case 'ioPriority':
      return `I/O ${change.value.class}${change.value.class === 'idle' || change.value.class === 'none' ? '' : ` ${change.value.level}`}`;
    case 'cpuCap':
      return change.value === null ? 'no CPU cap' : `CPU cap ${change.value}% of one core`;
    case 'memoryLimit':
      return change.value === null ? 'no memory limit' : `memory limit ${formatBytes(change.value)}`;
  }
}

/** One figure, its unit taken from the key: cpuPercent -> "42.0%", rssBytes -> "1.2 GiB", overForMs -> "2.8 s". */
export function formatNumber(key: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (/Bytes(PerSec)?$/i.test(key)) return key.endsWith('PerSec') ? `${formatBytes(value)}/s` : formatBytes(value);
  if (/Percent$/i.test(key) || /Pct$/.test(key)) return `${value.toFixed(1)}%`;
  if (/MsPerSec$/.test(key)) return `${value.toFixed(1)} ms/s`;
  if (/Ms$/.test(key)) return formatDurationMs(value);
  if (/Count$|^count$|Steps?$/.test(key)) return String(Math.round(value));
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** "cpuPercent" -> "cpu percent" (units shown with the value). */
export function labelOf(key: string): string {
  return key
    .replace(/(Percent|Bytes|PerSec|MsPerSec|Ms)$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

export function describeNumbers(numbers: Record<string, number>): string {
  return Object.entries(numbers)
    .map(([key, value]) => `${labelOf(key)} ${formatNumber(key, value)}`)
    .join(' · ');
}

export function formatHorizon(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

export function formatProbability(p: number): string {
  if (p > 0 && p < 0.01) return '<1%';
  return `${Math.round(p * 100)}%`;
}
