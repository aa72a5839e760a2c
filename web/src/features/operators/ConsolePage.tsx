import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Card, PageHeader } from '../../ui';

const AREAS = [
  { to: '/admin/people', key: 'people' },
  { to: '/admin/plans', key: 'plans' },
  { to: '/admin/costs', key: 'costs' },
  { to: '/admin/lab', key: 'lab' },
  { to: '/admin/settings', key: 'settings' },
  { to: '/admin/billing', key: 'billing' },
  { to: '/admin/marketplace', key: 'marketplace' },
  { to: '/admin/mailbox', key: 'mailbox' },
] as const;

/** The operators' console: where each task lives. Every action taken here is written to your own activity log. */
export function ConsolePage() {
  const { t } = useTranslation('operators');
  return (
    <>
      <PageHeader title={t('console.title')} description={t('console.lead')} />
      <div className="grid">
        {AREAS.map((a) => (
          <Card key={a.key} title={t(`console.${a.key}.title`)}>
            <p>{t(`console.${a.key}.body`)}</p>
            <Link to={a.to}>{t(`console.${a.key}.link`)}</Link>
          </Card>
        ))}
      </div>
    </>
  );
}
