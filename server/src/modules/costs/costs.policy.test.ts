import { describe, expect, it } from 'vitest';
import {
  adviseQuota,
  byCostPerRun,
  computeMicros,
  csvLine,
  divRound,
  marginBasisPoints,
  monthsBetween,
  nearestRank,
  perRun,
  revenueMicros,
} from './costs.policy.js';

describe('cost arithmetic (integer micro-dollars)', () => {
  it('rounds half away from zero, exactly', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
    expect(divRound(-4n, 3n)).toBe(-1n);
    expect(divRound(10n ** 20n + 1n, 2n)).toBe(5n * 10n ** 19n + 1n);
  });

  it('prices compute by the run-second on whole milliseconds, rounded half up', () => {
    expect(computeMicros(20, 1224)).toBe(24); // 24.48
    expect(computeMicros(20, 1225)).toBe(25); // 24.5
    expect(computeMicros(20, 60_000)).toBe(1200);
    expect(computeMicros(0, 99_999)).toBe(0);
  });

  it('turns revenue into micro-dollars: cents x 10,000, agorot x the configured rate', () => {
    expect(revenueMicros('USD', 1200, 2700)).toBe(12_000_000);
    expect(revenueMicros('ILS', 4500, 2700)).toBe(12_150_000);
    expect(() => revenueMicros('EUR', 1, 1)).toThrow();
  });

  it('gives the gross margin in basis points, and none without revenue', () => {
    expect(marginBasisPoints(12_000_000, 1_017_000)).toBe(9153); // 9152.5 rounds up
    expect(marginBasisPoints(1_000, 3_000)).toBe(-20_000);
    expect(marginBasisPoints(0, 10)).toBeNull();
    expect(perRun(1_000, 3)).toBe(333);
    expect(perRun(1_000, 0)).toBeNull();
  });

  it('orders spaces by cost per run exactly, and takes nearest-rank percentiles', () => {
    const spaces = [
      { key: 'a', runs: 3, costMicros: 1000 }, // 333.33
      { key: 'b', runs: 1, costMicros: 333 },
      { key: 'c', runs: 0, costMicros: 50 }, // no runs: not a cost per run
      { key: 'd', runs: 6, costMicros: 2000 }, // 333.33, tie with a
    ];
    expect(byCostPerRun(spaces).map((s) => s.key)).toEqual(['b', 'a', 'd']);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(nearestRank([1, 2, 3], 90)).toBe(3);
    expect(nearestRank([1, 2, 3], 50)).toBe(2);
    expect(nearestRank([], 90)).toBeNull();
  });

  it('lists months and writes CSV that spreadsheets cannot run as formulas', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(csvLine(['a,b', 'say "hi"', '=cmd()', -5, null])).toBe('"a,b","say ""hi""",\'=cmd(),-5,');
  });
});

describe('the quota advisor on a known distribution', () => {
  // Ten spaces of ten runs each, costing 100, 200, ... 1,000 micro-dollars per run.
  const spaces = Array.from({ length: 10 }, (_, i) => ({ key: `s${i + 1}`, runs: 10, costMicros: 1000 * (i + 1) }));

  it('proposes the limit that keeps the margin for the 90th-percentile space, not the mean', () => {
    const r = adviseQuota({ priceMicros: 12_000_000, targetMarginBasisPoints: 7000, currentLimit: 5000, spaces });
    // A space may cost 30% of $12 = $3.60; the p90 space's runs cost 900 micro-dollars each: 4,000 runs.
    expect(r).toEqual({
      allowedCostMicros: 3_600_000,
      spaces: 10,
      runs: 100,
      meanMicros: 550,
      p50Micros: 500,
      p90Micros: 900,
      p90Space: { runs: 10, costMicros: 9000 },
      proposedRunsPerMonth: 4000,
      // At the current 5,000 runs the p90 space costs $4.50 of $12: 62.5% margin.
      currentLimitMarginBasisPoints: 6250,
      notes: [],
    });
    // The mean would have said floor(3,600,000 / 550) = 6,545 runs: a loss on the dearest tenth of spaces.
    expect(Math.floor(3_600_000 / 550)).toBe(6545);
  });

  it('takes a monthly budget for a plan without a price, and says what is missing', () => {
    expect(adviseQuota({ priceMicros: null, budgetMicros: 90_000, currentLimit: 300, spaces }).proposedRunsPerMonth).toBe(100);
    expect(adviseQuota({ priceMicros: null, currentLimit: 300, spaces }).notes).toEqual(['no_price']);
    expect(adviseQuota({ priceMicros: 12_000_000, currentLimit: 300, spaces }).notes).toEqual(['no_target']);
    expect(adviseQuota({ priceMicros: 12_000_000, targetMarginBasisPoints: 5000, currentLimit: 300, spaces: [] })).toMatchObject({
      proposedRunsPerMonth: null,
      notes: ['no_runs'],
    });
    expect(
      adviseQuota({
        priceMicros: 12_000_000,
        targetMarginBasisPoints: 5000,
        currentLimit: 300,
        spaces: [{ key: 'x', runs: 5, costMicros: 0 }],
      }).notes,
    ).toEqual(['few_spaces', 'free_runs']);
  });
});
