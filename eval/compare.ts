// How results are compared (issue "The four prebuilt packs", "How results are compared"):
// triage by category only; dates by the set of {start, end, allDay} with instants equal to the minute;
// reminders by due (to the minute), assignee (ignoring case) and rrule by the dates it generates;
// shopping by the set of items (name singular and lowercase, quantities normalised to g, ml and pieces,
// category exact); invoices and calendar conflicts exactly.
import { expandRrule, instantIn as instantOf } from '../server/src/modules/skills/builtin/time.js';

export { instantOf };

type Instant = ReturnType<typeof instantOf>;

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
const minute = (v: string, zone: string) => Math.floor(instantOf(v, zone).toMillis() / 60_000);

function dateKey(v: string | undefined, zone: string): string {
  if (v === undefined) return '-';
  return isDate(v) ? `d:${v}` : `t:${minute(v, zone)}`;
}

export function sameDates(
  actual: { start: string; end?: string; allDay: boolean }[],
  expected: { start: string; end?: string }[],
  zone: string,
): boolean {
  const key = (d: { start: string; end?: string; allDay?: boolean }) =>
    `${dateKey(d.start, zone)}|${dateKey(d.end, zone)}|${d.allDay ?? isDate(d.start)}`;
  const a = new Set(actual.map(key));
  const e = new Set(expected.map(key));
  return a.size === e.size && [...e].every((k) => a.has(k));
}

/** Two rules are the same when they generate the same dates from their first occurrence (the next 3 years, at most 60). */
function sameRule(a: string | undefined, aDue: Instant, b: string | undefined, bDue: Instant, zone: string): boolean {
  if (!a || !b) return !a && !b;
  const gen = (rule: string, due: Instant) =>
    expandRrule(rule, due, zone, due.plus({ years: 3 }))
      .slice(0, 60)
      .map((d) => Math.floor(d.toMillis() / 60_000))
      .join(',');
  try {
    return gen(a, aDue) === gen(b, bDue);
  } catch {
    return false;
  }
}

export function sameReminder(
  actual: { due: string; assignee?: string; rrule?: string },
  expected: { due: string; assignee?: string; rrule?: string },
  zone: string,
): boolean {
  const aDue = instantOf(actual.due, zone);
  const eDue = instantOf(expected.due, zone);
  if (Math.floor(aDue.toMillis() / 60_000) !== Math.floor(eDue.toMillis() / 60_000)) return false;
  if ((actual.assignee ?? '').toLowerCase() !== (expected.assignee ?? '').toLowerCase()) return false;
  return sameRule(actual.rrule, aDue, expected.rrule, eDue, zone);
}

const MASS: Record<string, number> = { g: 1, kg: 1000, lb: 453.59237, oz: 28.349523125 };
const VOLUME: Record<string, number> = { ml: 1, cl: 10, l: 1000, gallon: 3785.411784, quart: 946.352946, pint: 568.26125 };
const PIECES: Record<string, number> = { dozen: 12, pair: 2, couple: 2 };

/** A quantity in g, ml or pieces (a jar, can, bottle, pack ... is one piece). */
function normaliseQuantity(quantity: number | undefined, unit: string | undefined): string {
  if (quantity === undefined) return '-';
  const u = (unit ?? '').toLowerCase().replace(/s$/, '');
  if (MASS[u] !== undefined) return `${Math.round(quantity * MASS[u]!)}g`;
  if (VOLUME[u] !== undefined) return `${Math.round(quantity * VOLUME[u]!)}ml`;
  return `${Math.round(quantity * (PIECES[u] ?? 1) * 1000) / 1000}pc`;
}

export function sameShopping(
  actual: { name: string; quantity?: number; unit?: string; category: string }[],
  expected: { name: string; quantity?: number; unit?: string; category: string }[],
): boolean {
  const key = (i: { name: string; quantity?: number; unit?: string; category: string }) =>
    `${i.name.trim().toLowerCase()}|${normaliseQuantity(i.quantity, i.unit)}|${i.category}`;
  const a = actual.map(key).sort();
  const e = expected.map(key).sort();
  return a.length === e.length && a.every((k, i) => k === e[i]);
}

export function samePairs(actual: { a: string; b: string }[], expected: { a: string; b: string }[]): boolean {
  const key = (p: { a: string; b: string }) => [p.a, p.b].sort().join('\u0000');
  const a = new Set(actual.map(key));
  const e = new Set(expected.map(key));
  return a.size === actual.length && a.size === e.size && [...e].every((k) => a.has(k));
}
