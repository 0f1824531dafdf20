// Builds the default model set and restores any model from its toJSON() output.

import type { Forecaster } from './types';
import { EwmaForecaster, HoltForecaster, HoltWintersForecaster, NaiveForecaster, SeasonalNaiveForecaster } from './models';
import { RlsArForecaster } from './rls-ar';
import { DecayingHistogramForecaster } from './histogram';
import { GruForecaster } from './gru';
import { errorMessage } from '../../../src-shared/errors';

export type RestoreResult = { ok: true; model: Forecaster } | { ok: false; error: string };

/** Restore a model from its JSON state. Never throws: bad input yields { ok: false, error }. */
export function restoreForecaster(json: unknown): RestoreResult {
  try {
    const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
    switch (kind) {
      case 'naive': return { ok: true, model: NaiveForecaster.fromJSON(json) };
      case 'seasonal-naive': return { ok: true, model: SeasonalNaiveForecaster.fromJSON(json) };
      case 'ewma': return { ok: true, model: EwmaForecaster.fromJSON(json) };
      case 'holt': return { ok: true, model: HoltForecaster.fromJSON(json) };
      case 'holt-winters': return { ok: true, model: HoltWintersForecaster.fromJSON(json) };
      case 'rls-ar': return { ok: true, model: RlsArForecaster.fromJSON(json) };
      case 'decaying-histogram': return { ok: true, model: DecayingHistogramForecaster.fromJSON(json) };
      case 'gru': return { ok: true, model: GruForecaster.fromJSON(json) };
      default: return { ok: false, error: `unknown model kind ${JSON.stringify(kind)}` };
    }
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

export interface DefaultModelOptions {
  /** Season length in steps; adds seasonal naive and Holt-Winters when given (>= 2). */
  seasonSteps?: number;
}

/**
 * The classical model set (the GRU is added separately once trained). Naive comes first: it is the
 * baseline and the fallback before any model has a track record.
 */
export function createDefaultForecasters(options: DefaultModelOptions = {}): Forecaster[] {
  const models: Forecaster[] = [
    new NaiveForecaster(),
    new EwmaForecaster(0.5),
    new EwmaForecaster(0.15),
    new HoltForecaster({ alpha: 0.5, beta: 0.1, phi: 0.9 }),
    new RlsArForecaster({ order: 4, lambda: 0.995 }),
    new DecayingHistogramForecaster({ halfLifeSteps: 30 }),
  ];
  const s = options.seasonSteps;
  if (s !== undefined && Number.isInteger(s) && s >= 2) {
    models.push(new SeasonalNaiveForecaster(s), new HoltWintersForecaster({ seasonSteps: s }));
  }
  return models;
}
