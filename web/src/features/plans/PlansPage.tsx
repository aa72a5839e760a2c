import type { PlanView } from '@csme/contracts/plans';
import { getUsage, listPlans } from '@csme/contracts/plans';
import { useQuery } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Card, Meter, PageHeader, ScrollRegion, SelectField, Spinner } from '../../ui';
import { formatMoney } from './money';

const LIMIT_ROWS = ['packs', 'agents', 'runsPerMonth', 'connectors', 'historyDays', 'queuePriority', 'members', 'publish'] as const;

function limitText(t: TFunction<'plans'>, plan: PlanView, key: (typeof LIMIT_ROWS)[number], lang: string): string {
  const v = plan.limits[key];
  if (v === undefined) return t('no');
  if (key === 'connectors') return t(`connectors.${v}`);
  if (key === 'queuePriority') return t(`priority.${v}`);
  if (key === 'historyDays') return t('days', { count: v as number });
  if (key === 'publish') return v ? t('yes') : t('no');
  return (v as number).toLocaleString(lang);
}

export function PlansPage() {
  const { t, i18n } = useTranslation('plans');
  const session = useShellSession();
  const [interval, setInterval] = useState<'month' | 'year'>('month');
  const [currency, setCurrency] = useState<'USD' | 'ILS'>(i18n.language === 'he' ? 'ILS' : 'USD');
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api(listPlans) });
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api(getUsage) });
  const fmtDate = (s: string) => new Date(s).toLocaleDateString(i18n.language, { dateStyle: 'medium' });
  const all = plans.data?.plans ?? [];
  const base = all.filter((p) => p.kind === 'base');
  const addons = all.filter((p) => p.kind === 'addon');
  const price = (p: PlanView) => {
    const pr = p.prices.find((x) => x.currency === currency && x.interval === interval);
    if (!pr) return t('free');
    return `${formatMoney(pr.amount, currency, i18n.language)} ${interval === 'month' ? t('perMonth') : t('perYear')}`;
  };
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        {usage.data ? (
          <Card title={t('usageTitle', { space: session.activeSpace.name })}>
            <div className="grid">
              {usage.data.meters
                .filter((m) => m.key !== 'members' || session.activeSpace.kind === 'family')
                .map((m) => (
                  <Meter
                    key={m.key}
                    label={t(`usage.${m.key}`)}
                    used={m.used}
                    limit={m.limit}
                    format={(n) => n.toLocaleString(i18n.language)}
                  />
                ))}
            </div>
            <p className="muted small">
              {t('period', { start: fmtDate(usage.data.quotaPeriod.start), end: fmtDate(usage.data.quotaPeriod.end) })}
            </p>
          </Card>
        ) : null}
        {usage.isError ? <ErrorNotice error={usage.error} onRetry={() => usage.refetch()} /> : null}

        <div className="row">
          <SelectField label={t('billing')} value={interval} onChange={(e) => setInterval(e.target.value as 'month' | 'year')}>
            <option value="month">{t('monthly')}</option>
            <option value="year">{t('yearly')}</option>
          </SelectField>
          <SelectField label={t('currency')} value={currency} onChange={(e) => setCurrency(e.target.value as 'USD' | 'ILS')}>
            <option value="USD">USD $</option>
            <option value="ILS">ILS ₪</option>
          </SelectField>
        </div>

        {plans.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {plans.isError ? <ErrorNotice error={plans.error} onRetry={() => plans.refetch()} /> : null}
        {base.length ? (
          <ScrollRegion className="card" label={t('compare')}>
            <table className="table">
              <caption className="visually-hidden">{t('compare')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('feature')}</th>
                  {base.map((p) => (
                    <th scope="col" key={p.id}>
                      <div>{p.name}</div>
                      <div className="muted small">{price(p)}</div>
                      {usage.data?.plan.id === p.id ? <span className="badge ok">{t('current')}</span> : null}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {LIMIT_ROWS.filter((k) => k !== 'publish').map((k) => (
                  <tr key={k}>
                    <th scope="row">{t(`limits.${k}`)}</th>
                    {base.map((p) => (
                      <td key={p.id}>{limitText(t, p, k, i18n.language)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        ) : null}
        {addons.map((a) => (
          <Card key={a.id} title={a.name}>
            <p>
              <strong>+{price(a)}</strong> <span className="muted">— {t('addonNote')}</span>
            </p>
            <p>
              {t('limits.publish')}: {t('yes')}
            </p>
          </Card>
        ))}
        <Alert>{t('upgradeHint')}</Alert>
      </div>
    </>
  );
}
