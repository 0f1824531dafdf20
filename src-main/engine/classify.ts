// Classification: foreground / interactive / batch / background / system for every process, from
// the focused window (an input: the platform may not know it, e.g. on Wayland), user idle time,
// behaviour (voluntary vs involuntary context switches, run-queue wait, CPU burstiness), the
// program's learned profile and the rules. Pure; keeps a short per-process behaviour history.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { ProcessClass, Tier } from '../../src-shared/engine';
import { globMatches } from '../../src-shared/rules';
import { processKey, programKey } from './common';
import { indexOf, type ProcessIndex } from './process-index';
import type { Policy, PolicyMatch } from './policy';
import { learnedClass, type ProfileStore } from './profiles';

/** Session-critical programs Allot never touches (see DESIGN.md, Safety). Globs, case-insensitive. */
export const SESSION_CRITICAL = [
  'systemd', 'systemd-*', '(sd-pam)', 'init', 'dbus-daemon', 'dbus-broker*', 'Xorg', 'X', 'Xwayland', 'gnome-shell',
  'gnome-session*', 'kwin_*', 'plasmashell', 'ksmserver', 'mutter', 'sway', 'weston', 'Hyprland', 'gdm*', 'sddm*',
  'lightdm', 'pipewire*', 'pulseaudio', 'wireplumber', 'jackd*', 'polkitd', 'udevd', 'logind', 'sshd', 'agetty', 'login',
  'csrss.exe', 'lsass.exe', 'winlogon.exe', 'dwm.exe', 'services.exe', 'smss.exe', 'wininit.exe', 'svchost.exe',
  'fontdrvhost.exe', 'System', 'Registry', 'Secure System', 'audiodg.exe',
  'launchd', 'WindowServer', 'loginwindow', 'kernel_task', 'coreaudiod', 'opendirectoryd', 'securityd',
];

export interface ClassifyInputs {
  /** pid owning the focused window; undefined when unknown (see foregroundUnavailableReason). */
  foregroundPid?: number;
  /** Why the foreground is unknown, e.g. "Wayland: no focused-window API". */
  foregroundUnavailableReason?: string;
  /** Time since the last user input, ms; undefined when unknown. */
  userIdleMs?: number;
  /** Allot's own pid (never touched). */
  selfPid?: number;
}

export interface ClassifierOptions {
  /** After this much user idle time the focused program is no longer "foreground". */
  idleForegroundMs: number;
  /** Behaviour window (EWMA time constant), ms. */
  behaviourTauMs: number;
  /** Samples a process needs before its own behaviour outweighs its program's profile. */
  minOwnSamples: number;
}

export const DEFAULT_CLASSIFIER_OPTIONS: ClassifierOptions = {
  idleForegroundMs: 600_000,
  behaviourTauMs: 10_000,
  minOwnSamples: 5,
};

export interface Classification {
  class: ProcessClass;
  tier: Tier;
  reason: string;
  /** Never restrain: system, foreground, excluded, or a realtime/foreground rule tier. */
  untouchable: boolean;
  /** Latency-sensitive: its run-queue wait is what restraints protect. */
  protected: boolean;
  policy: PolicyMatch;
  /** Smoothed behaviour figures behind the class. */
  cpuMeanPercent: number;
  cpuCv: number;
  voluntaryShare?: number;
}

interface Behaviour {
  n: number;
  lastAt: number;
  cpuMean: number;
  cpuVar: number;
  volShare?: number;
}

export interface Classifier {
  /** `index`: the tick's process index (the engine's; built from the sample when absent, then nothing counts as unchanged). */
  classify(sample: Sample, inputs: ClassifyInputs, policy: Policy, profiles?: ProfileStore, index?: ProcessIndex): Map<string, Classification>;
  /** Processes it keeps state for (released when a process is gone). */
  size(): number;
}

function classTier(cls: ProcessClass): Tier {
  switch (cls) {
    case 'foreground':
      return 'foreground';
    case 'interactive':
      return 'interactive';
    case 'batch':
      return 'batch';
    default:
      return 'normal';
  }
}

function tierClass(tier: Tier): ProcessClass {
  if (tier === 'realtime' || tier === 'foreground' || tier === 'interactive') return 'interactive';
  if (tier === 'batch') return 'batch';
  return 'background';
}

/** Behavioural class from smoothed figures; undefined when the evidence is too thin. */
export function behaviourClass(b: { n: number; cpuMean: number; cpuVar: number; volShare?: number }, minSamples: number): ProcessClass | undefined {
  if (b.n < minSamples) return undefined;
  const cv = b.cpuMean > 0.5 ? Math.sqrt(Math.max(0, b.cpuVar)) / b.cpuMean : 0;
  const vol = b.volShare;
  // CPU-bound: uses a lot, steadily, and is mostly preempted rather than sleeping voluntarily.
  if (b.cpuMean >= 50 && (cv < 0.35 || (vol !== undefined && vol < 0.5))) return 'batch';
  // Interactive: sleeps voluntarily (waits for input/events), runs in bursts, modest average.
  if (vol !== undefined && vol >= 0.8 && b.cpuMean < 50 && b.cpuMean >= 0.5 && cv >= 0.5) return 'interactive';
  return 'background';
}

/** An unchanged process keeps its classification this many ticks at most before it is worked out again. */
const RECLASSIFY_EVERY_TICKS = 30;

export function createClassifier(options: Partial<ClassifierOptions> = {}): Classifier {
  const opts = { ...DEFAULT_CLASSIFIER_OPTIONS, ...options };
  const behaviour = new Map<string, Behaviour>();
  /**
   * Work in proportion to change: for a process that did not change since last tick (`unchanged`), its
   * behaviour figures are still updated every tick (a few flops), but
   * its classification (rule matching, the never-touch globs, the reason text) is reused while the
   * inputs it depends on are the same (policy, focus, idle, its parent's name), and worked out again
   * at least every RECLASSIFY_EVERY_TICKS ticks (staggered by pid) so decaying behaviour and a
   * learning profile still move it.
   */
  const cached = new Map<string, { context: string; policy: Policy; parentName: string | undefined; classification: Classification }>();
  let ticks = 0;

  function observe(p: ProcessSample, at: number, intervalMs: number): Behaviour {
    const key = processKey(p);
    let b = behaviour.get(key);
    const x = p.cpuPercent;
    const vol = p.voluntaryCtxSwitchesPerSec;
    const inv = p.involuntaryCtxSwitchesPerSec;
    const share = vol !== undefined && inv !== undefined && vol + inv > 0 ? vol / (vol + inv) : undefined;
    if (!b) {
      b = { n: 1, lastAt: at, cpuMean: x, cpuVar: 0, ...(share !== undefined ? { volShare: share } : {}) };
      behaviour.set(key, b);
      return b;
    }
    const alpha = 1 - Math.exp(-Math.max(1, intervalMs) / opts.behaviourTauMs);
    const diff = x - b.cpuMean;
    b.cpuMean += alpha * diff;
    b.cpuVar = (1 - alpha) * (b.cpuVar + alpha * diff * diff);
    if (share !== undefined) b.volShare = b.volShare === undefined ? share : b.volShare + alpha * (share - b.volShare);
    b.n++;
    b.lastAt = at;
    return b;
  }

  return {
    size: () => Math.max(behaviour.size, cached.size),
    classify(sample, inputs, policy, profiles, index = indexOf(sample.processes)) {
      const out = new Map<string, Classification>();
      const byPid = index.byPid;
      const unchanged = index.unchanged;
      const idle = inputs.userIdleMs !== undefined && inputs.userIdleMs >= opts.idleForegroundMs;
      const fg = inputs.foregroundPid !== undefined ? byPid(inputs.foregroundPid) : undefined;
      const fgProgram = fg ? programKey(fg) : undefined;

      // The focused process and its descendants of the same program (browser/editor helpers).
      const isForeground = (p: ProcessSample): boolean => {
        if (!fg || !fgProgram) return false;
        if (p.pid === fg.pid) return true;
        if (programKey(p) !== fgProgram) return false;
        let cur: ProcessSample | undefined = p;
        for (let depth = 0; cur && depth < 32; depth++) {
          if (cur.ppid === fg.pid) return true;
          cur = byPid(cur.ppid);
        }
        return false;
      };

      ticks++;
      const context = `${inputs.foregroundPid ?? ''}|${fgProgram ?? ''}|${idle}|${inputs.selfPid ?? ''}|${profiles ? 1 : 0}`;
      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        const key = processKey(p);
        const b = observe(p, sample.at, sample.intervalMs);
        const parentName = byPid(p.ppid)?.name;
        const prior = cached.get(key);
        if (
          prior !== undefined &&
          unchanged(p) &&
          prior.policy === policy &&
          prior.context === context &&
          prior.parentName === parentName &&
          (p.pid + ticks) % RECLASSIFY_EVERY_TICKS !== 0
        ) {
          out.set(key, prior.classification);
          continue;
        }
        const classification = classifyOne(p, b, parentName);
        cached.set(key, { context, policy, parentName, classification });
        out.set(key, classification);
      }
      // `out` holds every live process's key.
      for (const key of behaviour.keys()) if (!out.has(key)) behaviour.delete(key);
      for (const key of cached.keys()) if (!out.has(key)) cached.delete(key);
      policy.prune(out);
      return out;

      function classifyOne(p: ProcessSample, b: Behaviour, parentName: string | undefined): Classification {
        const match = policy.match(p, parentName);
        const cpuCv = b.cpuMean > 0.5 ? Math.sqrt(Math.max(0, b.cpuVar)) / b.cpuMean : 0;
        const base = { policy: match, cpuMeanPercent: b.cpuMean, cpuCv, ...(b.volShare !== undefined ? { voluntaryShare: b.volShare } : {}) };

        const systemReason =
          p.pid === 1
            ? 'PID 1'
            : p.kernelThread
              ? 'kernel thread'
              : p.pid === inputs.selfPid
                ? 'Allot itself'
                : p.schedPolicy === 'fifo' || p.schedPolicy === 'rr' || p.schedPolicy === 'deadline'
                  ? `real-time scheduling (${p.schedPolicy})`
                  : globMatches(SESSION_CRITICAL, p.name)
                    ? 'session-critical program'
                    : undefined;
        if (systemReason) {
          return { ...base, class: 'system', tier: match.tier ?? 'normal', reason: systemReason, untouchable: true, protected: false };
        }
        if (isForeground(p)) {
          if (!idle) {
            const tier: Tier = match.tier === 'realtime' ? 'realtime' : 'foreground';
            return { ...base, class: 'foreground', tier, reason: 'owns the focused window', untouchable: true, protected: true };
          }
        }
        const own = behaviourClass(b, opts.minOwnSamples);
        const learned = profiles ? (() => { const pr = profiles.programs.get(programKey(p)); return pr ? learnedClass(pr) : undefined; })() : undefined;
        let cls: ProcessClass;
        let reason: string;
        if (match.tier !== undefined) {
          cls = tierClass(match.tier);
          reason = `rule "${match.tierRuleId}" sets tier ${match.tier}`;
        } else if (own) {
          cls = own;
          reason = `behaviour: ${b.cpuMean.toFixed(0)}% CPU avg, burstiness ${cpuCv.toFixed(2)}${b.volShare !== undefined ? `, ${(b.volShare * 100).toFixed(0)}% voluntary switches` : ''}`;
        } else if (learned && learned.share >= 0.6 && learned.class !== 'system' && learned.class !== 'foreground') {
          cls = learned.class;
          reason = `profile: usually ${learned.class} (${(learned.share * 100).toFixed(0)}% of samples)`;
        } else {
          cls = 'background';
          reason = 'no evidence yet';
        }
        if (idle && isForeground(p)) reason = `focused but user idle; ${reason}`;
        const tier = match.tier ?? classTier(cls);
        const untouchable = match.exclude || tier === 'realtime' || tier === 'foreground';
        const isProtected = tier === 'realtime' || tier === 'foreground' || tier === 'interactive' || cls === 'interactive';
        return {
          ...base,
          class: cls,
          tier,
          reason: match.exclude ? `excluded by rule; ${reason}` : reason,
          untouchable,
          protected: isProtected,
        };
      }
    },
  };
}
