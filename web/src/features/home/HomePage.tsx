import { getUsage } from '@csme/contracts/plans';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Card, Meter, PageHeader, Spinner } from '../../ui';

export function HomePage() {
  const { t, i18n } = useTranslation('home');
  const session = useShellSession();
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api(getUsage) });
  const runs = usage.data?.meters.find((m) => m.key === 'runs');
  return (
    <>
      <PageHeader title={t('greeting', { name: session.account.displayName })} description={t('lead')} />
      <div className="grid">
        <Card title={t('planCard')}>
          {usage.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
          {usage.isError ? <ErrorNotice error={usage.error} onRetry={() => usage.refetch()} /> : null}
          {usage.data ? (
            <>
              <p>{t('planLine', { plan: usage.data.plan.name })}</p>
              {runs ? <Meter label={t('runsThisMonth')} used={runs.used} limit={runs.limit} /> : null}
              <p className="muted small">
                {t('resets', { date: new Date(usage.data.quotaPeriod.end).toLocaleDateString(i18n.language, { dateStyle: 'long' }) })}
              </p>
              <Link to="/plans">{t('seePlans')}</Link>
            </>
          ) : null}
        </Card>
        <Card title={t('securityCard')}>
          <p>{session.account.totpEnabled ? t('securityOn') : t('securityOff')}</p>
          <Link to="/settings">{t('openSettings')}</Link>
        </Card>
        {session.account.isOperator ? (
          <Card title={t('operatorCard')}>
            <p>{t('operatorLead')}</p>
            <Link to="/admin/mailbox">{t('openMailbox')}</Link>
          </Card>
        ) : null}
      </div>
    </>
  );
}
