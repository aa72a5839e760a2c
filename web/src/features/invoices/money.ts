import { intlLocale } from '../../ui/format';

/** How many decimals a currency has (USD 2, JPY 0). */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as money in the reader's language: 16000 USD -> "$160.00". */
export function formatMoney(minor: number, currency: string, lang: string): string {
  const digits = currencyDigits(currency);
  try {
    return new Intl.NumberFormat(intlLocale(lang), { style: 'currency', currency }).format(minor / 10 ** digits);
  } catch {
    return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
  }
}

/** What a person typed ("80", "1,234.5") as exact minor units, or null when it is not a price in that currency. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const m = /^(\d{1,12})(?:\.(\d+))?$/.exec(text.trim().replace(/[,\s]/g, ''));
  if (!m) return null;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) return null;
  return Number(m[1]) * 10 ** digits + Number((frac || '0').padEnd(digits, '0').slice(0, digits) || '0');
}
