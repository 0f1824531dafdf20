// Forecasting interface shared by every model. Pure: no I/O. A model is fed one observation per
// step (regular spacing, `stepMs`) and answers quantile forecasts `h` steps ahead.

export interface QuantileForecast {
  /** Steps ahead. */
  horizonSteps: number;
  p50: number;
  p90: number;
}

export interface Forecaster {
  /** Stable model name, e.g. "naive", "holt-winters", "rls-ar", "gru". */
  readonly name: string;
  /** Feed the next observation (the series value at the next step). */
  update(value: number): void;
  /** Forecast `horizonSteps` ahead from the last observation. NaN-free once one value is seen. */
  forecast(horizonSteps: number): QuantileForecast;
  /** Serializable state, so profiles and models persist across restarts. */
  toJSON(): unknown;
}

/** Horizons every series is forecast at (issue: 5 s, 30 s and 5 min). */
export const FORECAST_HORIZONS_MS = [5_000, 30_000, 300_000] as const;
