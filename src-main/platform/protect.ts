// The never-touch list. Pure: decides from ProcessFacts (filled by each OS's describe()) whether a
// process may be changed at all, and names the rule that matched. guard.ts enforces it around every
// adapter, so no caller can act on a protected process.
import { z } from 'zod';
import type { ProcessFacts } from './types';

/** Session-critical programs by name (comm / image name / exe basename). `*` matches any run of characters. */
export const SESSION_CRITICAL_NAMES: readonly string[] = [
  // init and service managers, login, IPC bus
  'init', 'systemd', 'systemd-*', '(sd-pam)', 'dbus-daemon', 'dbus-broker', 'dbus-broker-lau*', 'polkitd', 'login', 'agetty', 'getty',
  'sshd', 'sshd-session', 'gdm', 'gdm-*', 'sddm', 'lightdm', 'elogind', 'udevd', 'auditd',
  // display servers and compositors
  'Xorg', 'X', 'Xwayland', 'gnome-shell', 'gnome-session-b*', 'kwin*', 'mutter', 'sway', 'weston', 'Hyprland', 'wayfire', 'labwc', 'cosmic-comp', 'plasmashell',
  // audio
  'pipewire*', 'wireplumber', 'pulseaudio', 'jackd', 'jackdbus',
  // Windows
  'System', 'Registry', 'smss.exe', 'csrss.exe', 'wininit.exe', 'winlogon.exe', 'services.exe', 'lsass.exe', 'lsaiso.exe', 'dwm.exe',
  'svchost.exe', 'fontdrvhost.exe', 'audiodg.exe', 'MsMpEng.exe', 'Memory Compression',
  // macOS
  'launchd', 'kernel_task', 'WindowServer', 'loginwindow', 'coreaudiod', 'opendirectoryd', 'securityd', 'logd', 'configd', 'mds', 'hidd',
];

export const ExclusionSchema = z.discriminatedUnion('kind', [
  /** Name glob (case-insensitive), matched against the short name and the executable's basename. */
  z.strictObject({ kind: z.literal('name'), value: z.string().min(1).max(256) }),
  /** Exact executable path. */
  z.strictObject({ kind: z.literal('exe'), value: z.string().min(1).max(4096) }),
  z.strictObject({ kind: z.literal('pid'), value: z.number().int().positive() }),
]);
export type Exclusion = z.infer<typeof ExclusionSchema>;

export interface ProtectionPolicy {
  /** Allot's own process(es): the core, and the Electron main process when the core is its child. */
  selfPids: readonly number[];
  exclusions: readonly Exclusion[];
  /** Replaces SESSION_CRITICAL_NAMES (tests); defaults to it. */
  criticalNames?: readonly string[];
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    globCache.set(pattern, re);
  }
  return re;
}

export function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

function nameMatches(pattern: string, facts: ProcessFacts): boolean {
  const re = glob(pattern);
  if (re.test(facts.name)) return true;
  return facts.exe !== undefined && facts.exe !== '' && re.test(basename(facts.exe));
}

const REALTIME_POLICIES = new Set(['fifo', 'rr', 'deadline']);

/** The rule that protects this process, or null when it may be changed. */
export function protectionRule(facts: ProcessFacts, policy: ProtectionPolicy): string | null {
  if (facts.pid === 1) return 'pid-1';
  if (facts.pid === 0 || facts.pid === 2 || facts.kernelThread === true || facts.ppid === 2) return 'kernel-thread';
  if (policy.selfPids.includes(facts.pid)) return 'allot-itself';
  if (facts.ancestors?.some((pid) => policy.selfPids.includes(pid))) return 'allot-descendant';
  for (const exclusion of policy.exclusions) {
    if (exclusion.kind === 'pid' && exclusion.value === facts.pid) return `user-excluded:pid:${exclusion.value}`;
    if (exclusion.kind === 'exe' && facts.exe !== undefined && facts.exe === exclusion.value) return `user-excluded:exe:${exclusion.value}`;
    if (exclusion.kind === 'name' && nameMatches(exclusion.value, facts)) return `user-excluded:name:${exclusion.value}`;
  }
  if (facts.schedPolicy !== undefined && REALTIME_POLICIES.has(facts.schedPolicy)) return `realtime:${facts.schedPolicy}`;
  if (facts.oomScoreAdj === -1000) return 'oom-score-adj:-1000';
  for (const pattern of policy.criticalNames ?? SESSION_CRITICAL_NAMES) {
    if (nameMatches(pattern, facts)) return `session-critical:${pattern}`;
  }
  return null;
}

/** A person-readable sentence for a rule id. */
export function describeRule(rule: string): string {
  if (rule === 'facts-unreadable') return 'could not read enough about this process to know it is safe to change';
  if (rule === 'pid-1') return 'PID 1 (the init system) is never changed';
  if (rule === 'kernel-thread') return 'kernel threads are never changed';
  if (rule === 'allot-itself') return 'Allot does not change itself';
  if (rule === 'allot-descendant') return 'Allot does not change its own child processes';
  if (rule.startsWith('user-excluded:')) return `excluded by you (${rule.slice('user-excluded:'.length)})`;
  if (rule.startsWith('realtime:')) return `real-time scheduled process (${rule.slice('realtime:'.length)}) is never changed`;
  if (rule.startsWith('oom-score-adj')) return 'marked unkillable by the system (oom_score_adj -1000)';
  if (rule.startsWith('session-critical:')) return `session-critical process (${rule.slice('session-critical:'.length)}) is never changed`;
  return rule;
}
