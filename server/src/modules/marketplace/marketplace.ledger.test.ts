import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refundSplit, saleSplit } from './marketplace.policy.js';

describe('the ledger split', () => {
  it('gives the creator 70% of the amount net of tax, rounded down; the platform takes the remainder unit', () => {
    expect(saleSplit(1416, 216)).toEqual({ gross: 1416, tax: 216, creator: 840, platform: 360 });
    expect(saleSplit(1001, 0)).toEqual({ gross: 1001, tax: 0, creator: 700, platform: 301 });
    expect(saleSplit(1, 0)).toEqual({ gross: 1, tax: 0, creator: 0, platform: 1 });
  });

  it('for any list of sales and refunds: creator + platform + tax = gross to the cent, and nothing is ever negative', () => {
    const sale = fc.record({ gross: fc.integer({ min: 1, max: 50_000_000 }), taxBp: fc.integer({ min: 0, max: 5000 }) });
    const refunds = fc.array(fc.double({ min: 0.0001, max: 1, noNaN: true }), { maxLength: 8 });
    fc.assert(
      fc.property(fc.array(fc.tuple(sale, refunds, fc.boolean()), { minLength: 1, maxLength: 20 }), (list) => {
        let gross = 0;
        let creator = 0;
        let platform = 0;
        let tax = 0;
        for (const [s, parts, refundRest] of list) {
          const saleTax = Math.floor((s.gross * s.taxBp) / (10_000 + s.taxBp));
          const first = saleSplit(s.gross, saleTax);
          expect(first.creator + first.platform + first.tax).toBe(first.gross);
          expect(Math.min(first.creator, first.platform, first.tax)).toBeGreaterThanOrEqual(0);
          const sl = { gross: s.gross, tax: saleTax };
          let left = { ...first };
          let refunded = 0;
          const amounts = parts.map((p) => Math.max(1, Math.floor(p * (s.gross - refunded))));
          if (refundRest) amounts.push(Number.POSITIVE_INFINITY);
          for (const raw of amounts) {
            const amount = Math.min(raw, s.gross - refunded);
            if (amount <= 0) break;
            const r = refundSplit(sl, refunded, amount);
            // A reversal: every part at most 0, adding up to the refunded amount.
            expect(r.creator + r.platform + r.tax).toBe(r.gross);
            expect(r.gross).toBe(-amount);
            expect(Math.max(r.creator, r.platform, r.tax)).toBeLessThanOrEqual(0);
            refunded += amount;
            left = {
              gross: left.gross + r.gross,
              tax: left.tax + r.tax,
              creator: left.creator + r.creator,
              platform: left.platform + r.platform,
            };
            expect(Math.min(left.gross, left.tax, left.creator, left.platform)).toBeGreaterThanOrEqual(0);
            expect(left.creator + left.platform + left.tax).toBe(left.gross);
          }
          if (refunded === s.gross) expect(left).toEqual({ gross: 0, tax: 0, creator: 0, platform: 0 });
          gross += left.gross;
          creator += left.creator;
          platform += left.platform;
          tax += left.tax;
        }
        expect(creator + platform + tax).toBe(gross);
        expect(Math.min(creator, platform, tax)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a refund beyond what is left of the sale', () => {
    expect(() => refundSplit({ gross: 100, tax: 0 }, 60, 41)).toThrow(/cannot exceed/);
    expect(() => refundSplit({ gross: 100, tax: 0 }, 0, 0)).toThrow(/positive/);
  });
});
