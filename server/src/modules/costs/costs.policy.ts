// Integer arithmetic of cost management: micro-dollars and basis points, exact (BigInt where products
// can pass 2^53), rounding stated at each step. Pure functions, tested on known figures.

/** n / d rounded half away from zero (d > 0). */
export function divRound(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('divRound: the divisor must be positive');
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/** floor(n / d) for d > 0 (BigInt division truncates toward zero). */
function divFloor(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n < 0n ? q - 1n : q;
}

/** Compute cost of some runs: rate (micro-dollars per run-second) x their run time in whole milliseconds, rounded half up. */
export function computeMicros(microsPerRunSecond: number, runMs: number | bigint): number {
  return Number(divRound(BigInt(microsPerRunSecond) * BigInt(runMs), 1000n));
}

/** Revenue in micro-dollars: USD cents x 10,000; ILS agorot x the configured micro-dollars per agora. */
export function revenueMicros(currency: string, minor: number | bigint, microsPerAgora: number): number {
  const m = BigInt(minor);
  if (currency === 'USD') return Number(m * 10_000n);
  if (currency === 'ILS') return Number(m * BigInt(microsPerAgora));
  throw new Error(`no rate for ${currency}`);
}

/** Gross margin (revenue - cost) / revenue in basis points, rounded half away from zero; null without revenue. */
export function marginBasisPoints(revenue: number, cost: number): number | null {
  if (revenue <= 0) return null;
  return Number(divRound((BigInt(revenue) - BigInt(cost)) * 10_000n, BigInt(revenue)));
}

/** cost / runs rounded half up; null without runs. */
export function perRun(cost: number, runs: number): number | null {
  return runs > 0 ? Number(divRound(BigInt(cost), BigInt(runs))) : null;
}

export interface SpaceCost {
  readonly key: string;
  readonly runs: number;
  readonly costMicros: number;
}

/** Sorts spaces by cost per run (cost/runs compared exactly by cross-multiplication), cheapest first; ties by key. */
export function byCostPerRun(spaces: readonly SpaceCost[]): SpaceCost[] {
  return [...spaces]
    .filter((s) => s.runs > 0)
    .sort((a, b) => {
      const l = BigInt(a.costMicros) * BigInt(b.runs);
      const r = BigInt(b.costMicros) * BigInt(a.runs);
      return l < r ? -1 : l > r ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    });
}

/** The nearest-rank percentile (p in 1..100) of a sorted list: the element at rank ceil(p/100 x n). */
export function nearestRank<T>(sorted: readonly T[], p: number): T | null {
  if (!sorted.length) return null;
  const rank = Math.ceil((p * sorted.length) / 100);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface AdvisorInput {
  /** The plan's monthly price in micro-dollars (null: no price). */
  priceMicros: number | null;
  targetMarginBasisPoints?: number;
  budgetMicros?: number;
  currentLimit: number | null;
  spaces: readonly SpaceCost[];
}

/** Why a proposal is missing or tentative (the console words them). */
type AdvisorNote = 'no_price' | 'no_target' | 'no_runs' | 'few_spaces' | 'free_runs';

export interface AdvisorResult {
  allowedCostMicros: number | null;
  spaces: number;
  runs: number;
  meanMicros: number | null;
  p50Micros: number | null;
  p90Micros: number | null;
  p90Space: { runs: number; costMicros: number } | null;
  proposedRunsPerMonth: number | null;
  currentLimitMarginBasisPoints: number | null;
  notes: AdvisorNote[];
}

/**
 * The quota advisor: a space may cost `allowed` a month (price x (1 - target margin), or a budget);
 * the limit is what the 90th-percentile space (by cost per run) could run for that:
 * floor(allowed x runs_p90 / cost_p90). Not the mean: a limit from the mean loses money on every
 * space with dearer runs than average, and those are the ones that use their quota.
 */
export function adviseQuota(a: AdvisorInput): AdvisorResult {
  const notes: AdvisorNote[] = [];
  const sorted = byCostPerRun(a.spaces);
  const runs = sorted.reduce((n, s) => n + s.runs, 0);
  const cost = sorted.reduce((n, s) => n + s.costMicros, 0);
  let allowed: bigint | null = null;
  if (a.targetMarginBasisPoints !== undefined && a.priceMicros !== null && a.priceMicros > 0)
    allowed = divFloor(BigInt(a.priceMicros) * BigInt(10_000 - a.targetMarginBasisPoints), 10_000n);
  else if (a.budgetMicros !== undefined) allowed = BigInt(a.budgetMicros);
  else notes.push(a.priceMicros === null || a.priceMicros === 0 ? 'no_price' : 'no_target');
  const p90 = nearestRank(sorted, 90);
  const p50 = nearestRank(sorted, 50);
  if (!sorted.length) notes.push('no_runs');
  else if (sorted.length < 10) notes.push('few_spaces');
  let proposed: number | null = null;
  if (allowed !== null && p90) {
    if (p90.costMicros === 0) notes.push('free_runs');
    else proposed = Number(divFloor(allowed * BigInt(p90.runs), BigInt(p90.costMicros)));
  }
  let currentMargin: number | null = null;
  if (a.priceMicros && a.currentLimit !== null && p90) {
    const rev = BigInt(a.priceMicros) * BigInt(p90.runs);
    currentMargin = Number(divRound((rev - BigInt(a.currentLimit) * BigInt(p90.costMicros)) * 10_000n, rev));
  }
  const rate = (s: SpaceCost | null) => (s ? perRun(s.costMicros, s.runs) : null);
  return {
    allowedCostMicros: allowed === null ? null : Number(allowed),
    spaces: sorted.length,
    runs,
    meanMicros: perRun(cost, runs),
    p50Micros: rate(p50),
    p90Micros: rate(p90),
    p90Space: p90 ? { runs: p90.runs, costMicros: p90.costMicros } : null,
    proposedRunsPerMonth: proposed,
    currentLimitMarginBasisPoints: currentMargin,
    notes,
  };
}

/** `YYYY-MM` of a date, in UTC. */
export const monthOf = (d: Date): string => d.toISOString().slice(0, 7);

/** The first instant of a `YYYY-MM` month (UTC), and of the month `add` months later. */
export function monthStart(month: string, add = 0): Date {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + add, 1));
}

/** Every month from `from` to `to`, both included. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = monthStart(from); monthOf(d) <= to && out.length < 120; d = monthStart(monthOf(d), 1)) out.push(monthOf(d));
  return out;
}

/** A CSV line (RFC 4180 quoting; cells that a spreadsheet would run as a formula are prefixed with '). */
export function csvLine(cells: ReadonlyArray<string | number | null>): string {
  return cells
    .map((c) => {
      if (c === null) return '';
      let s = String(c);
      if (typeof c === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
