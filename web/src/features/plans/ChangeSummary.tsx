import type { BillingAction, Quote } from '@csme/contracts/billing';
import { checkout, quoteBilling } from '@csme/contracts/billing';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Button, Card, Spinner, TextField } from '../../ui';
import { formatMoney } from './money';

export type CheckoutOutcome = Awaited<ReturnType<typeof api<typeof checkout>>>;

const fmtDate = (iso: string, lang: string) => new Date(iso).toLocaleDateString(lang, { dateStyle: 'long' });
const rate = (bp: number) => `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

/** The lines a person reads before confirming: when it happens, what it costs, what is paused. */
function SummaryLines({ q, provider }: { q: Quote; provider: 'offline' | 'stripe' }) {
  const { t, i18n } = useTranslation('plans');
  const lang = i18n.language;
  const lines: string[] = [];
  if (q.timing === 'period_end' && q.effectiveAt)
    lines.push(t('summary.periodEnd', { date: fmtDate(q.effectiveAt, lang), plan: q.from?.planName ?? '' }));
  else if (q.timing === 'now') lines.push(t('summary.now'));
  else lines.push(provider === 'stripe' ? t('summary.onPaymentStripe') : t('summary.onPaymentOffline'));
  if (q.trialDays && q.newPeriod) {
    const amount = q.charge ? formatMoney(q.charge.total, q.charge.currency, lang) : '';
    lines.push(t('summary.trial', { days: q.trialDays, amount, per: q.to?.interval === 'year' ? t('perYear') : t('perMonth') }));
  }
  if (q.newPeriod && !q.trialDays && q.from) lines.push(t('summary.newPeriod', { date: fmtDate(q.newPeriod.end, lang) }));
  if (q.createsFamilySpace) lines.push(t('summary.familySpace'));
  if (q.personalSpaceToFree) lines.push(t('summary.personalToFree'));
  if (q.extraRuns)
    lines.push(t('summary.extraRuns', { runs: q.extraRuns.runs.toLocaleString(lang), date: fmtDate(q.extraRuns.validUntil, lang) }));
  if (q.limits && q.to)
    lines.push(
      t('summary.limitsAfter', {
        packs: (q.limits.packs ?? 0).toLocaleString(lang),
        agents: (q.limits.agents ?? 0).toLocaleString(lang),
        runs: (q.limits.runsPerMonth ?? 0).toLocaleString(lang),
      }),
    );
  return (
    <ul>
      {lines.map((l) => (
        <li key={l}>{l}</li>
      ))}
      {q.overLimit.map((o) => (
        <li key={o.key}>
          <strong>{t('summary.pause', { pause: o.pause, used: o.used, what: t(`nouns.${o.key}`) })}</strong>{' '}
          <Link to="/packs">{t('choosePacks')}</Link>
        </li>
      ))}
      {q.limits && q.to && !q.overLimit.length && q.timing === 'period_end' ? <li>{t('summary.fits')}</li> : null}
    </ul>
  );
}

function ChargeTable({ q }: { q: Quote }) {
  const { t, i18n } = useTranslation('plans');
  const c = q.charge;
  if (!c || q.trialDays) return null;
  const m = (n: number) => formatMoney(n, c.currency, i18n.language);
  return (
    <table className="table">
      <caption className="visually-hidden">{t('summary.total')}</caption>
      <tbody>
        {c.lines.map((l) => (
          <tr key={l.description}>
            <th scope="row">{l.description}</th>
            <td className="amount">{m(l.amount)}</td>
          </tr>
        ))}
        <tr>
          <th scope="row">{t('summary.subtotal')}</th>
          <td className="amount">{m(c.subtotal)}</td>
        </tr>
        <tr>
          <th scope="row">{t('summary.tax', { rate: `${rate(c.taxBasisPoints)}${c.country ? `, ${c.country}` : ''}` })}</th>
          <td className="amount">{m(c.tax)}</td>
        </tr>
        <tr>
          <th scope="row">{q.timing === 'period_end' ? t('summary.total') : t('summary.dueNow')}</th>
          <td className="amount">
            <strong>{m(c.total)}</strong>
          </td>
        </tr>
      </tbody>
    </table>
  );
}

/**
 * The summary of a change before it happens (a quote from the server), and the button that does it.
 * Purchases ask for the billing country, which sets the tax rate.
 */
export function ChangeSummary({
  action,
  title,
  provider,
  country,
  onCountry,
  onDone,
  onClose,
}: {
  action: BillingAction;
  title: string;
  provider: 'offline' | 'stripe';
  country: string;
  onCountry: (c: string) => void;
  onDone: (r: CheckoutOutcome, q: Quote) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation('plans');
  const heading = useRef<HTMLHeadingElement>(null);
  const wantsCountry = action.action === 'change_plan' || action.action === 'extra_runs' || action.action === 'addon';
  const validCountry = /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : undefined;
  const body = (wantsCountry && validCountry ? { ...action, country: validCountry } : action) as BillingAction;
  const quote = useQuery({ queryKey: ['quote', body], queryFn: () => api(quoteBilling, { body }), retry: false });
  const run = useMutation({ mutationFn: () => api(checkout, { body }), onSuccess: (r) => quote.data && onDone(r, quote.data) });
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const q = quote.data;
  const confirmLabel =
    q?.timing === 'period_end' ? t('summary.confirmSchedule') : q?.charge && !q.trialDays ? t('summary.confirmPay') : t('summary.confirm');
  return (
    <Card
      className="summary"
      title={
        <span ref={heading} tabIndex={-1}>
          {t('summaryTitle')}: {title}
        </span>
      }
    >
      {quote.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {quote.isError ? <ErrorNotice error={quote.error} /> : null}
      {q ? (
        <>
          <SummaryLines q={q} provider={provider} />
          <ChargeTable q={q} />
          {wantsCountry && q.charge ? (
            <TextField
              label={t('country')}
              hint={t('countryHint')}
              value={country}
              maxLength={2}
              autoComplete="country"
              onChange={(e) => onCountry(e.target.value.trim())}
            />
          ) : null}
        </>
      ) : null}
      {run.isError ? <ErrorNotice error={run.error} /> : null}
      <div className="row">
        <Button variant="primary" busy={run.isPending} disabled={!q} onClick={() => run.mutate()}>
          {confirmLabel}
        </Button>
        <Button onClick={onClose}>{t('summary.back')}</Button>
      </div>
    </Card>
  );
}
