import type { Price } from '@csme/contracts/plans';
import { DateTime } from 'luxon';
import { z } from 'zod';

// Pure money and plan-change rules (PRODUCT.md "Plans"). Amounts are integer minor units (cents,
// agorot); every division rounds half away from zero, in BigInt so no float ever touches money.

/** n / d rounded half away from zero (d > 0). */
export function roundDiv(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('roundDiv needs a positive divisor');
  const sign = n < 0n ? -1n : 1n;
  const abs = n < 0n ? -n : n;
  return sign * ((abs * 2n + d) / (2n * d));
}

/** `amount` × left / total, rounded half away from zero. */
export function prorate(amount: number, left: number, total: number): number {
  if (total <= 0) return 0;
  return Number(roundDiv(BigInt(amount) * BigInt(left), BigInt(total)));
}

/** r = seconds left in the period / seconds in it, both whole seconds ("proration to the second"). */
export function periodFraction(now: Date, start: Date, end: Date): { left: number; total: number } {
  const total = Math.max(0, Math.floor((end.getTime() - start.getTime()) / 1000));
  const left = Math.min(total, Math.max(0, Math.floor((end.getTime() - now.getTime()) / 1000)));
  return { left, total };
}

/** Upgrade within the same interval: the period stays; charge round((new - old) × r). */
export function upgradeCharge(a: { oldPrice: number; newPrice: number; left: number; total: number }): number {
  return prorate(a.newPrice - a.oldPrice, a.left, a.total);
}

/** Monthly to yearly: a new yearly period starts now; charge new yearly - round(old monthly × r). */
export function toYearlyCharge(a: { oldMonthly: number; newYearly: number; left: number; total: number }): number {
  return a.newYearly - prorate(a.oldMonthly, a.left, a.total);
}

/** The unused part of the current period, credited on a move to yearly: round(old monthly × r). */
export function unusedCredit(a: { oldMonthly: number; left: number; total: number }): number {
  return prorate(a.oldMonthly, a.left, a.total);
}

/** Tax on a subtotal at a rate in basis points (1800 = 18%), rounded half away from zero. */
export function taxOn(subtotal: number, basisPoints: number): number {
  return Number(roundDiv(BigInt(subtotal) * BigInt(basisPoints), 10_000n));
}

export function priceOf(prices: readonly Price[], currency: string, interval: 'month' | 'year'): number | undefined {
  return prices.find((p) => p.currency === currency && p.interval === interval)?.amount;
}

const PLAN_ORDER: Record<string, number> = { free: 0, pro: 1, family: 2 };
const planRank = (planId: string): number => PLAN_ORDER[planId] ?? -1;

export type ChangeKind =
  /** From Free (or no add-on) to a paid plan: pay the full price. */
  | 'new'
  /** Higher plan, same interval: now, period kept, prorated difference. */
  | 'upgrade'
  /** Monthly to yearly (same or higher plan): now, a new yearly period, credit for the unused month. */
  | 'to_yearly'
  /** Lower plan (paid): at the end of the period. */
  | 'downgrade'
  /** Yearly to monthly: at the end of the period. */
  | 'to_monthly'
  /** To Free: at the end of the period. */
  | 'cancel'
  | 'same';

/** What kind of change moving from one plan and interval to another is (PRODUCT.md proration rules). */
export function classifyChange(
  from: { planId: string; interval: 'month' | 'year' | null },
  to: { planId: string; interval: 'month' | 'year' | null },
): ChangeKind {
  if (from.planId === 'free' || from.interval === null) return to.planId === 'free' ? 'same' : 'new';
  if (to.planId === 'free') return 'cancel';
  const up = planRank(to.planId) - planRank(from.planId);
  if (up === 0 && from.interval === to.interval) return 'same';
  if (from.interval === 'year' && to.interval === 'month') return up < 0 ? 'downgrade' : 'to_monthly';
  if (up < 0) return 'downgrade';
  if (from.interval === 'month' && to.interval === 'year') return 'to_yearly';
  return 'upgrade';
}

/**
 * The end of the period after [start, end]: one interval later on the day the subscription started,
 * clamped to short months and recovered after them (Jan 31, Feb 28, Mar 31, Apr 30, ...).
 */
export function nextPeriodEnd(start: Date, end: Date, interval: 'month' | 'year'): Date {
  const s = DateTime.fromJSDate(start, { zone: 'utc' });
  const e = DateTime.fromJSDate(end, { zone: 'utc' });
  const anchorDay = Math.max(e.day, s.day);
  const next = e.plus(interval === 'year' ? { years: 1 } : { months: 1 });
  return next.set({ day: Math.min(anchorDay, next.daysInMonth ?? 28) }).toJSDate();
}

/** Gapless per instance and year: CSME-2026-000042. */
export function invoiceNumber(prefix: string, year: number, n: number): string {
  return `${prefix}-${year}-${String(n).padStart(6, '0')}`;
}

/**
 * What paying an invoice does, stored on the invoice (validated when read back). Offline payments
 * apply it when an operator marks the invoice paid.
 */
export const InvoiceAction = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start_base'),
    spaceId: z.string(),
    planId: z.string(),
    planVersionId: z.string(),
    interval: z.enum(['month', 'year']),
    currency: z.string(),
  }),
  z.object({
    type: z.literal('upgrade'),
    subscriptionId: z.string(),
    planId: z.string(),
    planVersionId: z.string(),
    interval: z.enum(['month', 'year']),
    /** Monthly to yearly: a new yearly period starts when it takes effect. */
    newPeriod: z.boolean(),
    /** The end of the period the amount was computed for: after it, the invoice is stale. */
    computedForPeriodEnd: z.string(),
  }),
  z.object({ type: z.literal('renewal'), subscriptionId: z.string(), periodStart: z.string(), periodEnd: z.string() }),
  z.object({ type: z.literal('extra_runs'), spaceId: z.string(), runs: z.number().int().positive() }),
  /** A one-off sale of another module (a marketplace pack): paying it calls that module's `onSalePaid`. */
  z.object({ type: z.literal('sale'), module: z.string(), ref: z.string() }),
  z.object({
    type: z.literal('start_addon'),
    spaceId: z.string(),
    planId: z.string(),
    planVersionId: z.string(),
    interval: z.enum(['month', 'year']),
    currency: z.string(),
  }),
]);
export type InvoiceAction = z.infer<typeof InvoiceAction>;

/** Days until a past-due subscription's space drops to Free's limits. */
export function graceEndsAt(pastDueSince: Date, graceDays: number): Date {
  return new Date(pastDueSince.getTime() + graceDays * 86_400_000);
}

/**
 * Hebrew text for a left-to-right PDF line: pdfkit draws characters in logical order, so runs of
 * Hebrew words are reversed into visual order (names and short labels; no full bidi algorithm).
 */
export function visualOrder(text: string): string {
  if (!/[\u0590-\u05FF]/.test(text)) return text;
  const words = text.split(' ');
  return words
    .reverse()
    .map((w) => (/[\u0590-\u05FF]/.test(w) ? [...w].reverse().join('') : w))
    .join(' ');
}
