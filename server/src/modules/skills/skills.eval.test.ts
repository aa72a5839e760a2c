import { describe, expect, it } from 'vitest';
import { runEval, table } from '../../../../eval/run.js';

// The same run as `npm run eval`, so CI guards the quality targets of the local engine.
describe('the labelled evaluation sets', () => {
  it('meet their targets on the local engine', { timeout: 120_000 }, async () => {
    const results = await runEval();
    const missed = results.filter((r) => !r.met).map((r) => `${r.skill} ${(r.accuracy * 100).toFixed(1)}% < ${r.target * 100}%`);
    expect(missed, `\n${table(results)}`).toEqual([]);
    expect(results.map((r) => r.skill)).toEqual([
      'email.triage',
      'dates.extract',
      'reminders.parse',
      'shopping.parse',
      'invoice.totals',
      'calendar.conflicts',
    ]);
    for (const r of results)
      expect(r.total, r.skill).toBeGreaterThanOrEqual(
        { 'shopping.parse': 60, 'invoice.totals': 40, 'calendar.conflicts': 20 }[r.skill] ?? 150,
      );
  });
});
