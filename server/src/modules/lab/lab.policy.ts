// The lab's statistics: every figure is a mean over spaces (each space counts once, whatever its
// number of runs) with a 95% confidence interval from Student's t over the per-space values; a figure
// with fewer than LAB_MIN_SPACES spaces is withheld.
//
// Why this interval: a space's runs are not independent of each other (the same person, the same
// mail), so the unit of the experiment is the space. Pooling runs and using a binomial interval
// (Wald or Wilson) would treat 500 runs of one busy space as 500 independent observations and give
// intervals far too narrow. Student's t over per-space values is the standard small-sample interval
// for a mean with unknown variance; with 5 or more spaces (df >= 4) it is usable, and it widens
// honestly when spaces disagree.

import { LAB_MIN_SPACES, type LabFigure } from '@csme/contracts/lab';

/** Two-sided 95% critical values of Student's t by degrees of freedom. */
const T975: ReadonlyArray<[number, number]> = [
  [1, 12.706],
  [2, 4.303],
  [3, 3.182],
  [4, 2.776],
  [5, 2.571],
  [6, 2.447],
  [7, 2.365],
  [8, 2.306],
  [9, 2.262],
  [10, 2.228],
  [11, 2.201],
  [12, 2.179],
  [13, 2.16],
  [14, 2.145],
  [15, 2.131],
  [16, 2.12],
  [17, 2.11],
  [18, 2.101],
  [19, 2.093],
  [20, 2.086],
  [21, 2.08],
  [22, 2.074],
  [23, 2.069],
  [24, 2.064],
  [25, 2.06],
  [26, 2.056],
  [27, 2.052],
  [28, 2.048],
  [29, 2.045],
  [30, 2.042],
  [40, 2.021],
  [60, 2.0],
  [120, 1.98],
];

/** t(0.975, df); between table rows the smaller df's value (a slightly wider, safe interval); 1.96 past 120. */
export function t975(df: number): number {
  if (df < 1) return Number.POSITIVE_INFINITY;
  if (df > 120) return 1.96;
  let v = T975[0]![1];
  for (const [d, t] of T975) if (d <= df) v = t;
  return v;
}

/** Mean and 95% interval of per-space values; withheld below the minimum of spaces. Rates are clamped to [0, 1]. */
export function figure(values: readonly number[], opts: { rate?: boolean; min?: number } = {}): LabFigure {
  const n = values.length;
  const min = opts.min ?? LAB_MIN_SPACES;
  if (n < min || n === 0) return { value: null, low: null, high: null, spaces: n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const half = t975(n - 1) * Math.sqrt(variance / n);
  let low = mean - half;
  let high = mean + half;
  if (opts.rate) {
    low = Math.max(0, low);
    high = Math.min(1, high);
  } else low = Math.max(0, low);
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return { value: r(mean), low: r(low), high: r(high), spaces: n };
}

export interface SpaceCell {
  runs: number;
  finished: number;
  failed: number;
  costMicros: number;
  runMs: number;
  decided: number;
  approved: number;
  editedApproved: number;
}

/** The five figures of one variant from its spaces' counts (each space contributes one value per figure it has data for). */
export function variantFigures(cells: readonly SpaceCell[], min = LAB_MIN_SPACES) {
  const vals = (f: (c: SpaceCell) => number | null) => cells.map(f).filter((v): v is number => v !== null);
  return {
    approvalRate: figure(
      vals((c) => (c.decided ? c.approved / c.decided : null)),
      { rate: true, min },
    ),
    editRate: figure(
      vals((c) => (c.approved ? c.editedApproved / c.approved : null)),
      { rate: true, min },
    ),
    failureRate: figure(
      vals((c) => (c.finished ? c.failed / c.finished : null)),
      { rate: true, min },
    ),
    costPerRunMicros: figure(
      vals((c) => (c.runs ? c.costMicros / c.runs : null)),
      { min },
    ),
    runSeconds: figure(
      vals((c) => (c.runs ? c.runMs / c.runs / 1000 : null)),
      { min },
    ),
  };
}
