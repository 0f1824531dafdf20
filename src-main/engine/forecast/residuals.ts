// Rolling empirical distribution of a model's one-step residuals (actual - p50), used by each model to
// derive its p90: p90(h) = p50(h) + horizonFactor(h) * q90(one-step residuals). The quantile is recomputed
// from a fixed ring every few observations, so an update costs O(1) amortised.

const NORMAL_Z90 = 1.2815515655446004;

export interface ResidualRingJSON {
  size: number;
  values: number[];
  /** Index where the next residual goes. */
  head: number;
  count: number;
  /** Cached quantile and pushes since it was computed (so a restored ring answers identically). */
  q90?: number;
  dirty?: number;
}

export class ResidualRing {
  private readonly values: Float64Array;
  private head = 0;
  private count = 0;
  private cachedQ90 = 0;
  private dirty = 0;

  constructor(readonly size = 128) {
    if (!Number.isInteger(size) || size < 8) throw new Error(`ResidualRing: size must be an integer >= 8, got ${size}`);
    this.values = new Float64Array(size);
  }

  push(residual: number): void {
    if (!Number.isFinite(residual)) return;
    this.values[this.head] = residual;
    this.head = (this.head + 1) % this.size;
    if (this.count < this.size) this.count += 1;
    this.dirty += 1;
    if (this.dirty >= 8 || this.count < 32) this.recompute();
  }

  get n(): number {
    return this.count;
  }

  /**
   * Upper spread at one step: the 90th percentile of signed residuals, never below 0. With fewer than 16
   * residuals it uses 1.28 x RMS (the normal-theory value), so early forecasts are not overconfident.
   */
  q90(): number {
    return this.cachedQ90;
  }

  private recompute(): void {
    this.dirty = 0;
    const n = this.count;
    if (n === 0) {
      this.cachedQ90 = 0;
      return;
    }
    const sorted = this.values.slice(0, n).sort();
    if (n < 16) {
      let sumSq = 0;
      for (let i = 0; i < n; i++) sumSq += sorted[i]! * sorted[i]!;
      this.cachedQ90 = NORMAL_Z90 * Math.sqrt(sumSq / n);
      return;
    }
    this.cachedQ90 = Math.max(0, quantileSorted(sorted, 0.9));
  }

  toJSON(): ResidualRingJSON {
    return { size: this.size, values: Array.from(this.values.slice(0, this.count)), head: this.head, count: this.count, q90: this.cachedQ90, dirty: this.dirty };
  }

  static fromJSON(json: ResidualRingJSON): ResidualRing {
    const ring = new ResidualRing(json.size);
    if (!Array.isArray(json.values) || json.values.length !== json.count || json.count > json.size) {
      throw new Error('ResidualRing: values length must equal count and be <= size');
    }
    if (!Number.isInteger(json.head) || json.head < 0 || json.head >= json.size || !json.values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error('ResidualRing: head must be an index into the ring and values finite numbers');
    }
    ring.values.set(json.values);
    ring.head = json.head;
    ring.count = json.count;
    ring.recompute();
    if (typeof json.q90 === 'number' && Number.isFinite(json.q90) && typeof json.dirty === 'number' && Number.isInteger(json.dirty)) {
      ring.cachedQ90 = json.q90;
      ring.dirty = json.dirty;
    }
    return ring;
  }
}

/** Linear-interpolated quantile of an ascending array (type 7, as R and numpy default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const frac = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}
