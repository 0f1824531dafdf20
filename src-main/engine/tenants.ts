// Tenants: OS users and user-defined groups of programs, with CPU/memory budgets and fair-share
// weights. A process belongs to the first group tenant whose program globs match its name, else to
// the first user tenant listing its user; processes in no defined tenant are not subject to tenant
// restraints (on a one-person desktop with no tenants this module does nothing).
// Under contention (machine CPU ≥ the balancer's systemCpuPercent) a tenant's budget is the smaller
// of its cpuBudgetPercent and its weighted fair share among active tenants; without contention only
// the explicit budget counts. A tenant over budget for overForMs has its non-protected processes
// lowered one step, largest first, until its projected use fits; restored once its DEMAND (CPU +
// run-queue wait: a restrained tenant gets less because it is restrained, so its CPU alone says
// nothing) has been under 80 % of budget for `overForMs`, and no sooner than TENANT_HOLD_MS after the
// restraint; a process is not restrained again within TENANT_HOLD_MS of its last change (a feedback
// revert included). Hysteresis plus a minimum hold: a budget settles instead of flapping (six changes
// a minute were seen without them). Budgets are % of the whole machine (0-100). Memory over budget: an alert. Processes whose
// nice a rule sets are left to the rule. Pure.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { Alert } from '../../src-shared/engine';
import { globMatches, type BalancerThresholds, type Tenant } from '../../src-shared/rules';
import { coreCount, processKey, round } from './common';
import { demandPercent } from './balancer';
import type { Classification } from './classify';
import type { DecisionSink, Ledger } from './ledger';
import { ruleOwnsNice } from './policy';

export interface TenantUsage {
  tenantId: string;
  cpuPercent: number;
  memoryBytes: number;
  processes: number;
  fairSharePercent: number;
  budgetPercent: number;
  overBudget: boolean;
  /** CPU + run-queue wait, % of the machine: what the tenant wants (restores are judged on it). */
  demandPercent: number;
}

/** Minimum time a tenant restraint holds, and between two changes of one process by the tenant manager. */
export const TENANT_HOLD_MS = 60_000;

export function tenantOf(p: ProcessSample, tenants: readonly Tenant[]): Tenant | undefined {
  for (const t of tenants) if (t.programs.length && globMatches(t.programs, p.name)) return t;
  for (const t of tenants) if (t.users.length && globMatches(t.users, p.user)) return t;
  return undefined;
}

export interface TenantContext {
  sample: Sample;
  tenants: readonly Tenant[];
  classes: ReadonlyMap<string, Classification>;
  ledger: Ledger;
  sink: DecisionSink;
  thresholds: BalancerThresholds;
  enforce: boolean;
}

export interface TenantResult {
  usage: TenantUsage[];
  alerts: Alert[];
  /** Keys of processes of over-budget tenants (the balancer considers these first). */
  overBudgetKeys: Set<string>;
}

export interface TenantManager {
  tick(ctx: TenantContext): TenantResult;
}

export function createTenantManager(): TenantManager {
  const overSince = new Map<string, number>();
  const memAlerted = new Map<string, number>();
  const underSince = new Map<string, number>();
  return {
    tick(ctx) {
      const { sample, tenants, classes, ledger, sink, thresholds: t } = ctx;
      const at = sample.at;
      const result: TenantResult = { usage: [], alerts: [], overBudgetKeys: new Set() };
      if (!tenants.length) return result;
      const cores = coreCount(sample);
      const members = new Map<string, ProcessSample[]>();
      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        if (p.kernelThread) continue;
        const tenant = tenantOf(p, tenants);
        if (!tenant) continue;
        let list = members.get(tenant.id);
        if (!list) members.set(tenant.id, (list = []));
        list.push(p);
      }
      const contention = sample.system.cpuPercent >= t.systemCpuPercent;
      const usageOf = (id: string) => (members.get(id) ?? []).reduce((s, p) => s + p.cpuPercent, 0) / cores;
      const active = tenants.filter((x) => usageOf(x.id) >= 1);
      const weightSum = active.reduce((s, x) => s + x.weight, 0);
      for (const tenant of tenants) {
        const procs = members.get(tenant.id) ?? [];
        const cpu = usageOf(tenant.id);
        const mem = procs.reduce((s, p) => s + p.rssBytes, 0);
        const fair = weightSum > 0 && cpu >= 1 ? (tenant.weight / weightSum) * 100 : 100;
        const budget = Math.min(tenant.cpuBudgetPercent ?? 100, contention ? fair : 100);
        const over = cpu > budget * 1.05 && budget < 100;
        if (over) {
          if (!overSince.has(tenant.id)) overSince.set(tenant.id, at - sample.intervalMs);
        } else overSince.delete(tenant.id);
        const overLong = over && at - overSince.get(tenant.id)! >= t.overForMs;
        const demand = procs.reduce((s, p) => s + demandPercent(p), 0) / cores;
        if (demand < budget * 0.8 || !contention) {
          if (!underSince.has(tenant.id)) underSince.set(tenant.id, at - sample.intervalMs);
        } else underSince.delete(tenant.id);
        const underLong = underSince.has(tenant.id) && at - underSince.get(tenant.id)! >= t.overForMs;
        result.usage.push({ tenantId: tenant.id, cpuPercent: round(cpu), memoryBytes: mem, processes: procs.length, fairSharePercent: round(fair), budgetPercent: round(budget), overBudget: overLong, demandPercent: round(demand) });
        if (overLong) for (const p of procs) result.overBudgetKeys.add(processKey(p));

        if (tenant.memoryBudgetBytes !== undefined && mem > tenant.memoryBudgetBytes) {
          const last = memAlerted.get(tenant.id);
          if (last === undefined || at - last >= 300_000) {
            memAlerted.set(tenant.id, at);
            result.alerts.push({
              id: `tenant-over-budget-${at}-${tenant.id}`,
              at,
              kind: 'tenant-over-budget',
              severity: 'warning',
              tenant: tenant.id,
              message: `Tenant ${tenant.name} uses ${round(mem / 1048576, 0)} MiB, over its ${round(tenant.memoryBudgetBytes / 1048576, 0)} MiB budget.`,
              evidence: { memoryBytes: mem, memoryBudgetBytes: tenant.memoryBudgetBytes, processes: procs.length },
            });
          }
        }
        if (!ctx.enforce) continue;

        // Restore this tenant's restraints once it is comfortably within budget.
        if (underLong) {
          for (const p of procs) {
            const r = ledger.get(processKey(p));
            if (r?.source === 'tenant' && at - r.since >= Math.max(t.minRestrainedMs, TENANT_HOLD_MS) && ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) {
              ledger.restore(sink, r.key, 'tenant', {
                reason: `Tenant ${tenant.name} is back within budget (wants ${round(demand, 1)}% of the machine, under 80 % of its ${round(budget, 1)}%): restoring ${p.name}.`,
                numbers: { tenantCpuPercent: round(cpu, 2), tenantDemandPercent: round(demand, 2), budgetPercent: round(budget, 2) },
                expectedEffect: `${p.name} gets its normal share back.`,
              });
            }
          }
          continue;
        }
        if (!overLong || underSince.has(tenant.id)) continue;
        const recentlyChanged = (key: string) => {
          const last = ledger.memoOf(key).lastActionAt;
          return last !== undefined && at - last < TENANT_HOLD_MS;
        };
        let projected = cpu;
        const order = procs
          .filter((p) => {
            const c = classes.get(processKey(p));
            return c && !c.untouchable && !c.protected && !ruleOwnsNice(c.policy) && c.class !== 'system' && c.class !== 'foreground' && !ledger.get(processKey(p)) && !ledger.backedOff(processKey(p), at) && p.nice < 19 && p.cpuPercent >= 5 && !recentlyChanged(processKey(p));
          })
          .sort((a, b) => b.cpuPercent - a.cpuPercent || a.pid - b.pid);
        let acted = 0;
        for (const p of order) {
          if (projected <= budget || acted >= 2 || !ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) break;
          const d = ledger.restrain(sink, p, 'tenant', Math.min(19, p.nice + t.niceStep), {
            reason: `Tenant ${tenant.name} uses ${round(cpu, 1)}% of the machine, over its ${round(budget, 1)}% ${tenant.cpuBudgetPercent !== undefined && tenant.cpuBudgetPercent <= budget ? 'budget' : 'fair share'}: lowering its process ${p.name} first.`,
            numbers: { tenantCpuPercent: round(cpu, 2), budgetPercent: round(budget, 2), fairSharePercent: round(fair, 2), cpuPercent: round(p.cpuPercent, 2) },
            expectedEffect: `Other tenants get their fair share back.`,
          });
          if (!d) continue;
          projected -= (p.cpuPercent * 0.5) / cores;
          acted++;
        }
      }
      for (const id of [...overSince.keys()]) if (!tenants.some((x) => x.id === id)) overSince.delete(id);
      for (const id of [...underSince.keys()]) if (!tenants.some((x) => x.id === id)) underSince.delete(id);
      return result;
    },
  };
}
