const tag = (lang: string) => (lang === 'he' ? 'he-IL' : 'en-US');

/** Micro-dollars as dollars: cents for amounts of a cent or more, up to six decimals below it. */
export function formatMicros(micros: number, lang: string): string {
  const small = Math.abs(micros) > 0 && Math.abs(micros) < 10_000;
  return new Intl.NumberFormat(tag(lang), {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: small ? 4 : 2,
    maximumFractionDigits: small ? 6 : 2,
  }).format(micros / 1_000_000);
}

/** Basis points as a percentage (8744 → 87.44%). */
export function formatBasisPoints(bp: number | null, lang: string): string {
  if (bp === null) return '—';
  return new Intl.NumberFormat(tag(lang), { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(bp / 10_000);
}

export function formatRate(r: number | null, lang: string): string {
  if (r === null) return '—';
  return new Intl.NumberFormat(tag(lang), { style: 'percent', maximumFractionDigits: 1 }).format(r);
}

export function formatNumber(n: number, lang: string, digits = 0): string {
  return new Intl.NumberFormat(tag(lang), { maximumFractionDigits: digits }).format(n);
}

/** `2026-03` as "Mar 2026" / "מרץ 2026". */
export function formatMonth(month: string, lang: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(tag(lang), { month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function formatDate(iso: string, lang: string): string {
  return new Date(iso).toLocaleString(tag(lang), { dateStyle: 'medium', timeStyle: 'short' });
}

/** The current month and the one five months before it (the default range of the reports). */
export function recentMonths(now = new Date()): { from: string; to: string } {
  const to = now.toISOString().slice(0, 7);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 5, 1));
  return { from: d.toISOString().slice(0, 7), to };
}
