import { InvoiceTotalsInput, InvoiceTotalsOutput } from '@csme/contracts/skills';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';

/** An exact decimal: `digits / 10^scale`. */
interface Dec {
  digits: bigint;
  scale: number;
}

/**
 * Reads a decimal exactly from its text. A JSON number is read through its shortest round-trip
 * text (`1.1` stays 1.1, not 1.100000000000000088817...), which is what the person wrote.
 */
function decimal(v: number | string, where: string): Dec {
  const text = typeof v === 'number' ? String(v) : v.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new AppError('invalid_input', `${where}: ${text} is not a decimal number`);
  const exp = m[4] ? Number(m[4]) : 0;
  if (Math.abs(exp) > 40) throw new AppError('invalid_input', `${where}: ${text} is out of range`);
  const frac = m[3] ?? '';
  let digits = BigInt(`${m[2] || '0'}${frac}`);
  let scale = frac.length - exp;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits: m[1] === '-' ? -digits : digits, scale };
}

/** n / d rounded half away from zero (d > 0). */
function roundHalfAwayFromZero(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = (2n * a + d) / (2n * d);
  return neg ? -q : q;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
function toNumber(v: bigint, what: string): number {
  if (v > MAX || v < -MAX)
    throw new AppError('invalid_input', `The ${what} is too large to represent exactly (over ${Number.MAX_SAFE_INTEGER} minor units).`);
  return Number(v);
}

/**
 * line = round(quantity × unitPrice); subtotal = Σ lines; discount = round(subtotal × discount / 100);
 * tax = round((subtotal − discount) × taxRate / 100); total = subtotal − discount + tax. Every round is
 * half away from zero, on exact integers (BigInt), never on binary floating point.
 */
function invoiceTotals(input: {
  lines: { quantity: number | string; unitPrice: number | string }[];
  taxRate: number | string;
  discount?: number | string;
}) {
  let subtotal = 0n;
  input.lines.forEach((line, i) => {
    const q = decimal(line.quantity, `lines.${i}.quantity`);
    const price = BigInt(typeof line.unitPrice === 'number' ? line.unitPrice : line.unitPrice.trim());
    subtotal += roundHalfAwayFromZero(q.digits * price, 10n ** BigInt(q.scale));
  });
  const d = decimal(input.discount ?? 0, 'discount');
  const t = decimal(input.taxRate, 'taxRate');
  if (d.digits < 0n || d.digits > 100n * 10n ** BigInt(d.scale))
    throw new AppError('invalid_input', 'discount: must be a percentage from 0 to 100');
  if (t.digits < 0n) throw new AppError('invalid_input', 'taxRate: must not be negative');
  const discount = roundHalfAwayFromZero(subtotal * d.digits, 100n * 10n ** BigInt(d.scale));
  const taxable = subtotal - discount;
  const tax = roundHalfAwayFromZero(taxable * t.digits, 100n * 10n ** BigInt(t.scale));
  return {
    subtotal: toNumber(subtotal, 'subtotal'),
    discount: toNumber(discount, 'discount'),
    tax: toNumber(tax, 'tax'),
    total: toNumber(taxable + tax, 'total'),
  };
}

export const invoiceTotalsSkill = defineSkill({
  id: 'invoice.totals',
  description:
    'Invoice subtotal, discount, tax and total in integer minor units, computed exactly (fractional quantities, percentages; every rounding half away from zero).',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: InvoiceTotalsInput,
  output: InvoiceTotalsOutput,
  async run(_sctx, input) {
    return invoiceTotals(input);
  },
});
