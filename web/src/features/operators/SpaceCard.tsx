import type { AdminSpaceView } from '@csme/contracts/admin';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Card, Meter } from '../../ui';
import { formatDate, formatMicros } from './format';

/** One space as operators see it: plan, this quota month's usage and cost, members. */
export function SpaceCard({ space, role, link }: { space: AdminSpaceView; role?: string; link?: boolean }) {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  return (
    <Card title={link ? <Link to={`/admin/spaces/${space.id}`}>{space.name}</Link> : space.name}>
      <dl className="facts">
        <dt>{t('space.kind')}</dt>
        <dd>
          {t(`kind.${space.kind}`)}
          {role ? ` · ${t(`role.${role}`, { defaultValue: role })}` : ''}
        </dd>
        <dt>{t('space.plan')}</dt>
        <dd>
          {t('space.planLine', { plan: space.planName, version: space.planVersion })} ·{' '}
          {t(`subStatus.${space.subscriptionStatus}`, { defaultValue: space.subscriptionStatus })}
        </dd>
        <dt>{t('space.quotaMonth')}</dt>
        <dd>
          {formatDate(space.quotaPeriod.start, lang)} – {formatDate(space.quotaPeriod.end, lang)}
        </dd>
        <dt>{t('space.cost')}</dt>
        <dd>{formatMicros(space.costMicros, lang)}</dd>
        <dt>{t('space.lab')}</dt>
        <dd>{space.labOptedOut ? t('space.labOut') : t('space.labIn')}</dd>
        <dt>{t('space.id')}</dt>
        <dd dir="ltr" className="small">
          {space.id}
        </dd>
      </dl>
      {space.usage.map((u) => (
        <Meter key={u.key} label={t(`usage.${u.key}`, { defaultValue: u.key })} used={u.used} limit={u.limit} />
      ))}
      <div>
        <strong>{t('space.members')}</strong>
        <ul>
          {space.members.map((m) => (
            <li key={m.accountId}>
              <Link to={`/admin/people/${m.accountId}`}>{m.displayName}</Link> <span dir="ltr">({m.email})</span> ·{' '}
              {t(`role.${m.role}`, { defaultValue: m.role })}
            </li>
          ))}
        </ul>
      </div>
    </Card>
  );
}
