// In-process event bus (typed pub/sub) and threshold triggers. Rules files declare triggers such as
// "system CPU > 90 % for 30 s" or "forecast p90 CPU > 95 %"; the watcher turns the per-tick metric
// values into fired/cleared transitions, which the engine publishes and acts on (profile switch).
// A throwing subscriber is caught and counted: publishing never throws. Pure.
import type { Sample } from '../../src-shared/domain';
import type { Trigger } from '../../src-shared/rules';

type Handler<E> = (event: E) => void;

export class EventBus<E extends { type: string }> {
  private readonly handlers = new Map<string, Set<Handler<E>>>();
  /** Subscriber errors, newest last (at most 50). */
  readonly errors: string[] = [];

  /** Subscribe to one event type, or '*' for all. Returns the unsubscribe function. */
  on<T extends E['type']>(type: T | '*', handler: Handler<Extract<E, { type: T }>>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const h = handler as Handler<E>;
    set.add(h);
    return () => {
      set.delete(h);
    };
  }

  emit(event: E): void {
    for (const type of [event.type, '*']) {
      const set = this.handlers.get(type);
      if (!set) continue;
      for (const h of [...set]) {
        try {
          h(event);
        } catch (error) {
          this.errors.push(`${event.type}: ${(error as Error)?.message ?? String(error)}`.slice(0, 512));
          if (this.errors.length > 50) this.errors.shift();
        }
      }
    }
  }
}

export interface TriggerMetricInputs {
  /** Whole-machine p90 CPU forecast (0-100), if the forecaster gave one. */
  forecastSystemCpuP90Percent?: number;
}

/** Current value of a trigger metric; undefined when the sample lacks it. */
export function triggerMetricValue(metric: Trigger['when']['metric'], sample: Sample, inputs: TriggerMetricInputs): number | undefined {
  const s = sample.system;
  switch (metric) {
    case 'system.cpuPercent':
      return s.cpuPercent;
    case 'system.memoryUsedPercent':
      return s.memory.totalBytes > 0 ? ((s.memory.totalBytes - s.memory.availableBytes) / s.memory.totalBytes) * 100 : undefined;
    case 'psi.cpu.someAvg10':
      return s.psi?.cpu?.someAvg10;
    case 'psi.memory.someAvg10':
      return s.psi?.memory?.someAvg10;
    case 'battery.percent':
      return s.battery?.present ? s.battery.percent : undefined;
    case 'forecast.system.cpuP90Percent':
      return inputs.forecastSystemCpuP90Percent;
  }
}

export interface TriggerTransition {
  trigger: Trigger;
  state: 'fired' | 'cleared';
  value?: number;
}

/** Tracks how long each trigger's condition has held; reports transitions. */
export class TriggerWatcher {
  private since = new Map<string, number>();
  private fired = new Set<string>();

  constructor(private triggers: readonly Trigger[]) {}

  setTriggers(triggers: readonly Trigger[]): void {
    this.triggers = triggers;
    const ids = new Set(triggers.map((t) => t.id));
    for (const id of [...this.fired]) if (!ids.has(id)) this.fired.delete(id);
    for (const id of [...this.since.keys()]) if (!ids.has(id)) this.since.delete(id);
  }

  isFired(id: string): boolean {
    return this.fired.has(id);
  }

  update(sample: Sample, inputs: TriggerMetricInputs): TriggerTransition[] {
    const out: TriggerTransition[] = [];
    for (const t of this.triggers) {
      const v = triggerMetricValue(t.when.metric, sample, inputs);
      const holds = v !== undefined && (t.when.op === '>' ? v > t.when.value : v < t.when.value);
      if (holds) {
        if (!this.since.has(t.id)) this.since.set(t.id, sample.at - sample.intervalMs);
        if (!this.fired.has(t.id) && sample.at - this.since.get(t.id)! >= t.when.forMs) {
          this.fired.add(t.id);
          out.push({ trigger: t, state: 'fired', value: v });
        }
      } else {
        this.since.delete(t.id);
        if (this.fired.has(t.id)) {
          this.fired.delete(t.id);
          out.push({ trigger: t, state: 'cleared', ...(v !== undefined ? { value: v } : {}) });
        }
      }
    }
    return out;
  }
}
