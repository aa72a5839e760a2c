/** Formats an amount in minor units for the person's language (₪45.00, $12.00). */
export function formatMoney(minor: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale === 'he' ? 'he-IL' : 'en-US', { style: 'currency', currency }).format(minor / 100);
}
