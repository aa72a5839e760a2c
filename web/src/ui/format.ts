/** Dates, durations and money for people, in the active language (Intl does the translating). */

/** The locale Intl uses for a language of the app. */
export const intlLocale = (lang: string) => (lang === 'he' ? 'he-IL' : 'en-GB');

/** A moment as a person reads it, in their time zone: "Mon 3 Mar, 08:00". */
export function formatDateTime(iso: string | Date, lang: string, timeZone?: string, withYear = false): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  try {
    return new Intl.DateTimeFormat(intlLocale(lang), {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      ...(withYear ? { year: 'numeric' } : {}),
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
    }).format(d);
  } catch {
    // An unknown time zone name: the browser's own.
    return new Intl.DateTimeFormat(intlLocale(lang), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  }
}

/** "in 3 hours", "2 minutes ago". */
export function formatRelative(iso: string, lang: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(intlLocale(lang), { numeric: 'auto' });
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), 'second');
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

/** A duration: "340 ms", "2.4 s", "3 min 5 s". */
export function formatDuration(ms: number, lang: string): string {
  const loc = intlLocale(lang);
  const unit = (n: number, u: 'millisecond' | 'second' | 'minute', max = 0) =>
    new Intl.NumberFormat(loc, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: max }).format(n);
  if (ms < 1000) return unit(ms, 'millisecond');
  if (ms < 60_000) return unit(ms / 1000, 'second', 1);
  const min = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return sec ? `${unit(min, 'minute')} ${unit(sec, 'second')}` : unit(min, 'minute');
}

/** Model cost, given in millionths of a US dollar: "$0.00", "$0.0042", "$1.20". */
export function formatCostMicros(micros: number, lang: string): string {
  const usd = micros / 1_000_000;
  const small = usd > 0 && usd < 0.01;
  // en-GB would write "US$"; people reading English expect "$".
  return new Intl.NumberFormat(lang === 'he' ? 'he-IL' : 'en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: small ? 6 : 2,
  }).format(usd);
}

/** Readable JSON for people (indented), or the text itself when it is a string. */
export function prettyJson(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, 2) ?? '';
  } catch {
    return String(v);
  }
}

/**
 * A name or title placed inside a sentence of another language, isolated (Unicode FSI … PDI) so that
 * an English title in a Hebrew sentence keeps its own direction and punctuation. Only needed right to left.
 */
export const bidi = (s: string, lang: string) => (lang === 'he' ? `\u2068${s}\u2069` : s);
