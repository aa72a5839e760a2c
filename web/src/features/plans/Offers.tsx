import type { Offer } from '@csme/contracts/errors';
import { listPlans } from '@csme/contracts/plans';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert } from '../../ui';

/** The offers of a plan refusal, as buttons: upgrade, extra runs, or connectsoft.io for organisations. */
export function OfferLinks({
  offers,
}: {
  offers: readonly Offer[] | readonly { kind: string; label: string; url: string; planId?: string }[];
}) {
  const { t } = useTranslation('plans');
  const needsNames = offers.some((o) => o.kind === 'upgrade');
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api(listPlans), enabled: needsNames, staleTime: 300_000 });
  if (!offers.length) return null;
  return (
    <div className="row">
      {offers.map((o) => {
        const plan = o.planId ? plans.data?.plans.find((p) => p.id === o.planId)?.name : undefined;
        const label =
          o.kind === 'upgrade' && plan
            ? t('refusal.upgrade', { plan })
            : o.kind === 'extra_runs' || o.kind === 'connectsoft_io'
              ? t(`refusal.${o.kind}`)
              : o.label;
        return /^https?:/.test(o.url) ? (
          <a key={o.url} className="button small primary" href={o.url} rel="noopener noreferrer" target="_blank">
            {label}
          </a>
        ) : (
          <Link key={o.url} className="button small primary" to={o.url}>
            {label}
          </Link>
        );
      })}
    </div>
  );
}

/** The offers carried by a 402 `quota_exceeded` answer, if it is one. */
export function refusalOffers(e: unknown): Offer[] | null {
  if (!(e instanceof ApiError) || e.code !== 'quota_exceeded') return null;
  return ((e.details as { offers?: Offer[] } | undefined)?.offers ?? []) as Offer[];
}

/**
 * The notice for a failed action: a plan refusal (402) shows the server's reason and its offers as
 * buttons; anything else is the usual error notice.
 */
export function ProblemNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation('plans');
  const offers = refusalOffers(error);
  if (!offers) return <ErrorNotice error={error} onRetry={onRetry} />;
  return (
    <Alert tone="warn" title={t('refusal.title')}>
      <div className="stack">
        <span>{(error as ApiError).message}</span>
        <OfferLinks offers={offers} />
      </div>
    </Alert>
  );
}
