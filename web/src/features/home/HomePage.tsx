import { getUsage } from '@csme/contracts/plans';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Card, Meter, PageHeader, Spinner } from '../../ui';
import { DemoCard } from '../demo/DemoCard';
import { useInstallations } from '../packs/PacksPage';
import { usePendingCount } from '../suggestions/PendingCount';

export function HomePage() {
  const { t, i18n } = useTranslation('home');
  const session = useShellSession();
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api(getUsage) });
  const runs = usage.data?.meters.find((m) => m.key === 'runs');
  const pending = usePendingCount();
  const installations = useInstallations();
  const nothingInstalled = installations.data && !installations.data.items.length;
  return (
    <>
      <PageHeader title={t('greeting', { name: session.account.displayName })} description={t('lead')} />
      <div className="grid">
        <DemoCard offer={Boolean(nothingInstalled)} />
        {nothingInstalled ? (
          <Card title={t('startCard')} className="highlight">
            <p>{t('startLead')}</p>
            <Link className="button primary" to="/packs">
              {t('startAction')}
            </Link>
          </Card>
        ) : null}
        {pending.data !== undefined && !nothingInstalled ? (
          <Card title={t('inboxCard')}>
            <p>{pending.data ? t('inboxWaiting', { count: pending.data }) : t('inboxClear')}</p>
            <Link className={pending.data ? 'button primary' : undefined} to="/suggestions">
              {pending.data ? t('inboxOpen') : t('inboxSee')}
            </Link>
          </Card>
        ) : null}
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
