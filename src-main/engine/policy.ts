// Policy engine: turns a validated rules file plus the active profile into a matcher that says, for
// each process, which rules apply and the merged action. Pure. Rules are tried in file order; for
// each action field the first matching rule that sets it wins (so put specific rules first).
import type { ProcessSample } from '../../src-shared/domain';
import { tierRank, type IoPriority, type Tier } from '../../src-shared/engine';
import {
  BalancerThresholdsSchema,
  RULES_LIMITS,
  compileRegex,
  globMatches,
  parseCpuList,
  type BalancerThresholds,
  type Profile,
  type Rule,
  type RulesFile,
} from '../../src-shared/rules';
import { processKey, type KeySet } from './common';

export interface PolicyMatch {
  /** Ids of the rules that matched, in file order. */
  ruleIds: string[];
  tier?: Tier;
  /** Which rule set the tier (for explanations). */
  tierRuleId?: string;
  nice?: number;
  affinity?: number[];
  ioPriority?: IoPriority;
  cpuCapPercent?: number;
  memoryLimitBytes?: number;
  memoryLimitWhen: 'always' | 'on-leak';
  exclude: boolean;
}

export interface Policy {
  readonly file: RulesFile;
  readonly profile: Profile;
  readonly thresholds: BalancerThresholds;
  readonly activeRules: readonly Rule[];
  /** Match one process (parentName: the parent's process name, if known). Cached per process identity. */
  match(process: ProcessSample, parentName: string | undefined): PolicyMatch;
  /**
   * Whether a process of this name may be lowered by a rule the moment it is seen: an active rule
   * matching the name puts it in a lowering tier (background or batch) or sets a positive nice. Only
   * the name is looked at, so this can say yes for a process the rule's other fields then reject: it
   * decides when to look early (monitor/launch-watch.linux.ts), never what to do.
   */
  lowersAtLaunch(name: string): boolean;
  /** Forget cache entries of processes not in `liveKeys`. */
  prune(liveKeys: KeySet): void;
}

/** A rule sets this process's nice (directly or through a tier): the balancer, planner and tenants leave it alone. */
export function ruleOwnsNice(m: PolicyMatch): boolean {
  return m.nice !== undefined || m.tier !== undefined;
}

const EMPTY: PolicyMatch = Object.freeze({ ruleIds: [], memoryLimitWhen: 'on-leak', exclude: false }) as PolicyMatch;

export function ruleMatches(rule: Rule, p: ProcessSample, parentName: string | undefined): boolean {
  const m = rule.match;
  if (!globMatches(m.name, p.name)) return false;
  if (!globMatches(m.exe, p.exe)) return false;
  if (!globMatches(m.user, p.user)) return false;
  if (!globMatches(m.parent, parentName)) return false;
  const cmd = p.cmdline.length > RULES_LIMITS.maxCmdlineMatchChars ? p.cmdline.slice(0, RULES_LIMITS.maxCmdlineMatchChars) : p.cmdline;
  if (m.cmdline !== undefined && !cmd.includes(m.cmdline)) return false;
  if (m.cmdlineRegex !== undefined) {
    const re = compileRegex(m.cmdlineRegex);
    if (!re || !re.test(cmd)) return false;
  }
  return true;
}

/** Compile the policy for `profileId` (falls back to the file's active profile, then the first). */
export function compilePolicy(file: RulesFile, profileId?: string): Policy {
  const profile =
    file.profiles.find((p) => p.id === profileId) ?? file.profiles.find((p) => p.id === file.activeProfile) ?? file.profiles[0]!;
  const enabled = file.rules.filter((r) => r.enabled);
  const activeRules = profile.rules === '*' ? enabled : enabled.filter((r) => (profile.rules as string[]).includes(r.id));
  const thresholds = BalancerThresholdsSchema.parse(profile.thresholds);
  const cache = new Map<string, { name: string; match: PolicyMatch }>();

  function computeMatch(p: ProcessSample, parentName: string | undefined): PolicyMatch {
    let out: PolicyMatch | undefined;
    for (const rule of activeRules) {
      if (!ruleMatches(rule, p, parentName)) continue;
      out ??= { ruleIds: [], memoryLimitWhen: 'on-leak', exclude: false };
      out.ruleIds.push(rule.id);
      const a = rule.action;
      if (a.tier !== undefined && out.tier === undefined) {
        out.tier = a.tier;
        out.tierRuleId = rule.id;
      }
      if (a.nice !== undefined && out.nice === undefined) out.nice = a.nice;
      if (a.affinity !== undefined && out.affinity === undefined) {
        out.affinity = typeof a.affinity === 'string' ? parseCpuList(a.affinity) : [...a.affinity];
      }
      if (a.ioPriority !== undefined && out.ioPriority === undefined) out.ioPriority = a.ioPriority;
      if (a.cpuCapPercent !== undefined && out.cpuCapPercent === undefined) out.cpuCapPercent = a.cpuCapPercent;
      if (a.memoryLimitBytes !== undefined && out.memoryLimitBytes === undefined) {
        out.memoryLimitBytes = a.memoryLimitBytes;
        out.memoryLimitWhen = a.memoryLimitWhen ?? 'on-leak';
      }
      if (a.exclude) out.exclude = true;
    }
    return out ?? EMPTY;
  }

  const lowering = activeRules.filter(
    (r) => r.match.name !== undefined && ((r.action.tier !== undefined && tierRank(r.action.tier) > tierRank('normal')) || (r.action.nice ?? 0) > 0),
  );
  const launchCache = new Map<string, boolean>();

  return {
    file,
    profile,
    thresholds,
    activeRules,
    lowersAtLaunch(name) {
      let hit = launchCache.get(name);
      if (hit === undefined) {
        hit = lowering.some((r) => globMatches(r.match.name, name));
        if (launchCache.size >= 4096) launchCache.clear();
        launchCache.set(name, hit);
      }
      return hit;
    },
    match(p, parentName) {
      const key = processKey(p);
      const hit = cache.get(key);
      // A process that exec()s keeps pid and start time but changes name: re-match then.
      if (hit && hit.name === p.name) return hit.match;
      const match = computeMatch(p, parentName);
      cache.set(key, { name: p.name, match });
      return match;
    },
    prune(liveKeys) {
      for (const key of cache.keys()) if (!liveKeys.has(key)) cache.delete(key);
    },
  };
}
