import type { Price } from '@csme/contracts/marketplace';
import { useTranslation } from 'react-i18next';
import { formatMoney } from '../plans/money';

/** The price in the reader's currency (shekels in Hebrew, dollars otherwise). */
function priceText(t: (k: string, o?: Record<string, unknown>) => string, price: Price, lang: string): string {
  if (price.model === 'free') return t('price.free');
  const amount = lang === 'he' ? formatMoney(price.ils, 'ILS', lang) : formatMoney(price.usd, 'USD', lang);
  return t(`price.${price.model}`, { amount });
}

export function PriceTag({ price }: { price: Price }) {
  const { t, i18n } = useTranslation('marketplace');
  return <span className={`badge ${price.model === 'free' ? 'ok' : ''}`}>{priceText(t, price, i18n.language)}</span>;
}

export function Stars({ rating }: { rating: { average: number | null; count: number } }) {
  const { t } = useTranslation('marketplace');
  if (rating.average === null) return <span className="muted">{t('browse.noRatings')}</span>;
  return (
    <span>
      <span aria-hidden="true">★ </span>
      {rating.average.toFixed(1)} ({rating.count})
    </span>
  );
}
