// Forecast series for the system and for a bounded set of programs, fed one sample at a time: the
// forecasts the planner reads each tick. Pure (no I/O), so the live pipeline (core/pipeline.ts) and the
// simulator share it.
import type { Sample } from '../../src-shared/domain';
import type { ForecastSummary, HorizonForecast, ModelErrorRow, ProgramForecast, SeriesErrors } from '../../src-shared/report';
import type { PlannerForecast, ProgramCpuForecast } from './planner';
import type { Forecaster } from './forecast/types';
import { SeriesForecaster, type HorizonErrors, type ModelErrorRow as RawErrorRow, type SeriesForecast } from './forecast/selector';
import { programKey } from '../../src-shared/identity';

/** One forecast series as the pipeline uses it. */
export interface SeriesModel {
  update(value: number): void;
  forecast(): SeriesForecast[];
  errors(): HorizonErrors[];
  /** One more model competing in the short horizons' selection (e.g. a GRU trained in a worker). */
  addModel(model: Forecaster): void;
  /** The same, in place of the model with that name if there is one (a retrained GRU). */
  replaceModel(model: Forecaster): boolean;
}

/** The one place that knows how the forecast module builds a series (selector over every model). */
export function createSeriesModel(stepMs: number, clampMin = 0, clampMax?: number): SeriesModel {
  return new SeriesForecaster({ stepMs, clampMin, ...(clampMax !== undefined ? { clampMax } : {}) });
}

export interface ForecastBankOptions {
  /** Spacing of the samples fed, ms (the sampling interval). Default 1000. */
  stepMs: number;
  /** Per-program series kept: the top N programs by recent CPU (plus programs with rules). */
  maxProgramSeries: number;
  /** A program series below `idleCpuPercent` this long (and not in the top N) is dropped. */
  idleDropMs: number;
  idleCpuPercent: number;
  /** Programs listed in the report's forecast summary. */
  topPrograms: number;
  /** Logical cores (clamps per-program CPU forecasts); taken from the sample when absent. */
  cores?: number;
}

export const DEFAULT_FORECAST_BANK_OPTIONS: ForecastBankOptions = {
  stepMs: 1000,
  maxProgramSeries: 64,
  idleDropMs: 60_000,
  idleCpuPercent: 0.5,
  topPrograms: 10,
};

interface ProgramSeries {
  programId: string;
  name: string;
  cpu: SeriesModel;
  rss: SeriesModel;
  /** EWMA of CPU (% of one core), for ranking. */
  cpuEwma: number;
  lastActiveAt: number;
  cpuPercent: number;
  rssBytes: number;
}

function horizonRow(f: SeriesForecast): HorizonForecast {
  return { horizonMs: f.horizonMs, target: f.target, model: f.model.slice(0, 256), p50: finite(f.p50), p90: finite(f.p90) };
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function errorRow(r: RawErrorRow, model = r.model): ModelErrorRow {
  return {
    model: model.slice(0, 256),
    mae: Number.isFinite(r.mae) && r.mae >= 0 ? r.mae : 0,
    mase: Number.isFinite(r.mase) && r.mase >= 0 ? r.mase : null,
    p90Coverage: Number.isFinite(r.p90Coverage) && r.p90Coverage >= 0 ? r.p90Coverage : 0,
    n: r.n,
  };
}

function at(forecasts: readonly SeriesForecast[], horizonMs: number): SeriesForecast | undefined {
  return forecasts.find((f) => f.horizonMs === horizonMs);
}

/** Forecast series for the system and for a bounded set of programs, fed one sample at a time. */
export class ForecastBank {
  readonly options: ForecastBankOptions;
  private systemCpu: SeriesModel;
  private systemMemory: SeriesModel | undefined;
  private memoryTotalBytes = 0;
  readonly programs = new Map<string, ProgramSeries>();

  constructor(options: Partial<ForecastBankOptions> = {}) {
    this.options = { ...DEFAULT_FORECAST_BANK_OPTIONS, ...options };
    if (!(this.options.stepMs > 0)) throw new Error(`ForecastBank: stepMs must be positive, got ${this.options.stepMs}`);
    this.systemCpu = createSeriesModel(this.options.stepMs, 0, 100);
  }

  /**
   * The sampling interval changed. Horizons are counted in steps, so every series starts again at
   * the new step (models learned at the old one would forecast the wrong distance ahead).
   */
  setStepMs(stepMs: number): void {
    if (!(stepMs > 0)) throw new Error(`ForecastBank: stepMs must be positive, got ${stepMs}`);
    if (stepMs === this.options.stepMs) return;
    this.options.stepMs = stepMs;
    this.systemCpu = createSeriesModel(stepMs, 0, 100);
    this.systemMemory = undefined;
    this.programs.clear();
  }

  /** Add a model to the system CPU series (its selection decides whether it is used). */
  /** Add a model to the system CPU series, or put it in place of the one with the same name (retrained). */
  addSystemCpuModel(model: Forecaster): void {
    this.systemCpu.replaceModel(model);
  }

  /** Feed one sample. `keep` names programs that get a series whatever their CPU (programs with rules). */
  update(sample: Sample, keep: ReadonlySet<string> = new Set()): void {
    const o = this.options;
    const now = sample.at;
    const cores = o.cores ?? Math.max(1, sample.system.cores.length);
    this.systemCpu.update(sample.system.cpuPercent);
    const total = sample.system.memory.totalBytes;
    if (!this.systemMemory || total !== this.memoryTotalBytes) {
      this.systemMemory = createSeriesModel(o.stepMs, 0, total > 0 ? total : undefined);
      this.memoryTotalBytes = total;
    }
    this.systemMemory.update(sample.system.memory.usedBytes);

    const totals = new Map<string, { name: string; cpu: number; rss: number }>();
    for (let i = 0; i < sample.processes.length; i++) {
      const p = sample.processes[i]!;
      if (p.kernelThread) continue;
      const id = programKey(p);
      const t = totals.get(id);
      if (t) {
        t.cpu += p.cpuPercent;
        t.rss += p.rssBytes;
      } else totals.set(id, { name: p.name, cpu: p.cpuPercent, rss: p.rssBytes });
    }
    // Rank by recent CPU: a tracked program's EWMA, else its current CPU.
    const alpha = 0.3;
    const rankOf = (id: string, cpu: number) => {
      const s = this.programs.get(id);
      return s ? s.cpuEwma + alpha * (cpu - s.cpuEwma) : cpu;
    };
    const ranked = [...totals.entries()]
      .map(([id, t]) => ({ id, t, rank: rankOf(id, t.cpu) }))
      .filter((x) => x.rank >= o.idleCpuPercent || keep.has(x.id))
      .sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const selected = new Set<string>();
    for (const x of ranked) {
      if (selected.size < o.maxProgramSeries || keep.has(x.id)) selected.add(x.id);
    }
    for (const id of selected) {
      if (this.programs.has(id)) continue;
      const t = totals.get(id)!;
      this.programs.set(id, {
        programId: id,
        name: t.name,
        cpu: createSeriesModel(o.stepMs, 0, cores * 100),
        rss: createSeriesModel(o.stepMs, 0),
        cpuEwma: t.cpu,
        lastActiveAt: now,
        cpuPercent: t.cpu,
        rssBytes: t.rss,
      });
    }
    for (const [id, s] of [...this.programs]) {
      const t = totals.get(id);
      const cpu = t?.cpu ?? 0;
      const rss = t?.rss ?? 0;
      s.cpu.update(cpu);
      s.rss.update(rss);
      s.cpuEwma += alpha * (cpu - s.cpuEwma);
      s.cpuPercent = cpu;
      s.rssBytes = rss;
      if (t) s.name = t.name;
      if (cpu >= o.idleCpuPercent) s.lastActiveAt = now;
      const idleMs = now - s.lastActiveAt;
      if (!selected.has(id) && !keep.has(id) && (idleMs >= o.idleDropMs || !t)) this.programs.delete(id);
    }
    // Hard bound: never more than twice the budget plus the kept programs.
    const bound = o.maxProgramSeries * 2 + keep.size;
    if (this.programs.size > bound) {
      const drop = [...this.programs.values()].filter((s) => !keep.has(s.programId) && !selected.has(s.programId)).sort((a, b) => a.cpuEwma - b.cpuEwma);
      for (const s of drop) {
        if (this.programs.size <= bound) break;
        this.programs.delete(s.programId);
      }
    }
  }

  /** The forecast in the shape the engine's planner takes. */
  plannerForecast(): PlannerForecast {
    const sys = this.systemCpu.forecast();
    const programs: Record<string, ProgramCpuForecast> = {};
    for (const [id, s] of this.programs) {
      const f = s.cpu.forecast();
      const f5 = at(f, 5_000);
      const f30 = at(f, 30_000);
      if (!f5 || !f30) continue;
      programs[id] = { p50CpuPercent5s: f5.p50, p90CpuPercent5s: f5.p90, p50CpuPercent30s: f30.p50, p90CpuPercent30s: f30.p90 };
    }
    const s5 = at(sys, 5_000);
    const s30 = at(sys, 30_000);
    return { ...(s5 ? { systemP90CpuPercent5s: s5.p90 } : {}), ...(s30 ? { systemP90CpuPercent30s: s30.p90 } : {}), programs };
  }

  /** Programs with the highest forecast CPU (30 s p90, then current). */
  topPrograms(n = this.options.topPrograms): ProgramSeries[] {
    const score = (s: ProgramSeries) => at(s.cpu.forecast(), 30_000)?.p90 ?? s.cpuPercent;
    return [...this.programs.values()].sort((a, b) => score(b) - score(a) || (a.programId < b.programId ? -1 : 1)).slice(0, n);
  }

  summary(): ForecastSummary {
    const programs: ProgramForecast[] = this.topPrograms().map((s) => ({
      programId: s.programId.slice(0, 1024),
      name: s.name.slice(0, 1024),
      cpuPercent: Math.max(0, s.cpuPercent),
      rssBytes: Math.max(0, s.rssBytes),
      cpu: s.cpu.forecast().map(horizonRow),
      rss: s.rss.forecast().map(horizonRow),
    }));
    return {
      systemCpu: this.systemCpu.forecast().map(horizonRow),
      systemMemory: this.systemMemory?.forecast().map(horizonRow) ?? [],
      programs,
      programSeries: this.programs.size,
    };
  }

  /** Rolling out-of-sample errors: every model for the system series, selected + output for the top programs. */
  errors(): SeriesErrors[] {
    const out: SeriesErrors[] = [];
    const push = (series: string, rows: HorizonErrors[], full: boolean) => {
      for (const h of rows) {
        const selectedRow = h.models.find((m) => m.model === h.selected);
        out.push({
          series: series.slice(0, 1056),
          horizonMs: h.horizonMs,
          selected: h.selected.slice(0, 256),
          output: errorRow(h.output),
          models: full ? h.models.slice(0, 32).map((m) => errorRow(m)) : selectedRow ? [errorRow(selectedRow)] : [],
        });
      }
    };
    push('system.cpu', this.systemCpu.errors(), true);
    if (this.systemMemory) push('system.memory', this.systemMemory.errors(), true);
    for (const s of this.topPrograms()) {
      push(`program.cpu:${s.programId}`, s.cpu.errors(), false);
      push(`program.rss:${s.programId}`, s.rss.errors(), false);
    }
    return out;
  }
}
