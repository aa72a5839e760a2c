import { adminGetAccount, adminGetSpace, adminImpersonate, adminRestoreAccount, adminSuspendAccount } from '@csme/contracts/admin';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Button, Card, PageHeader, Spinner, TextArea } from '../../ui';
import { formatDate } from './format';
import { SpaceCard } from './SpaceCard';

function Suspension({ accountId, suspended, self }: { accountId: string; suspended: boolean; self: boolean }) {
  const { t } = useTranslation('operators');
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const done = () => qc.invalidateQueries({ queryKey: ['admin-account', accountId] });
  const suspend = useMutation({ mutationFn: () => api(adminSuspendAccount, { params: { accountId }, body: { reason } }), onSuccess: done });
  const restore = useMutation({ mutationFn: () => api(adminRestoreAccount, { params: { accountId }, body: {} }), onSuccess: done });
  const fieldErrors = suspend.error instanceof ApiError ? suspend.error.fieldErrors() : {};
  if (self) return <p className="muted">{t('person.selfNote')}</p>;
  if (suspended)
    return (
      <div className="stack">
        <p>{t('person.suspendedNote')}</p>
        {restore.isError ? <ErrorNotice error={restore.error} /> : null}
        <div>
          <Button variant="primary" busy={restore.isPending} onClick={() => restore.mutate()}>
            {t('person.restore')}
          </Button>
        </div>
      </div>
    );
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        suspend.mutate();
      }}
    >
      <p>{t('person.suspendLead')}</p>
      {suspend.isError && !fieldErrors.reason ? <ErrorNotice error={suspend.error} /> : null}
      <TextArea
        label={t('person.reason')}
        hint={t('person.reasonHint')}
        value={reason}
        maxLength={300}
        onChange={(e) => setReason(e.target.value)}
        error={fieldErrors.reason}
      />
      <div>
        <Button type="submit" variant="danger" busy={suspend.isPending}>
          {t('person.suspend')}
        </Button>
      </div>
    </form>
  );
}

function ActAs({ accountId, name, until }: { accountId: string; name: string; until: string | null }) {
  const { t, i18n } = useTranslation('operators');
  const act = useMutation({
    mutationFn: () => api(adminImpersonate, { params: { accountId }, body: {} }),
    // The browser's session is now theirs: start the app afresh as them.
    onSuccess: () => window.location.assign('/'),
  });
  if (!until) return <p>{t('person.noConsent', { name })}</p>;
  return (
    <div className="stack">
      <p>{t('person.consent', { name, date: formatDate(until, i18n.language) })}</p>
      {act.isError ? <ErrorNotice error={act.error} /> : null}
      <div>
        <Button busy={act.isPending} onClick={() => act.mutate()}>
          {t('person.actAs', { name })}
        </Button>
      </div>
    </div>
  );
}

export function PersonPage() {
  const { accountId = '' } = useParams();
  const { t, i18n } = useTranslation('operators');
  const session = useShellSession();
  const q = useQuery({ queryKey: ['admin-account', accountId], queryFn: () => api(adminGetAccount, { params: { accountId } }) });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  const a = q.data;
  return (
    <>
      <PageHeader title={a.displayName} description={<span dir="ltr">{a.email}</span>} />
      <div className="stack">
        {a.suspendedAt ? <Alert tone="warn">{t('person.suspendedSince', { date: formatDate(a.suspendedAt, i18n.language) })}</Alert> : null}
        {a.impersonations ? <Alert tone="info">{t('person.impersonations', { count: a.impersonations })}</Alert> : null}
        <div className="grid">
          <Card title={t('person.account')}>
            <dl className="facts">
              <dt>{t('person.since')}</dt>
              <dd>{formatDate(a.createdAt, i18n.language)}</dd>
              <dt>{t('person.operator')}</dt>
              <dd>{a.isOperator ? t('yes') : t('no')}</dd>
              <dt>{t('person.totp')}</dt>
              <dd>{a.totpEnabled ? t('yes') : t('no')}</dd>
            </dl>
          </Card>
          <Card title={t('person.suspension')}>
            <Suspension accountId={a.id} suspended={Boolean(a.suspendedAt)} self={a.id === session.account.id} />
          </Card>
          <Card title={t('person.access')}>
            {a.isOperator ? (
              <p className="muted">{t('person.operatorNoAct')}</p>
            ) : (
              <ActAs accountId={a.id} name={a.displayName} until={a.supportAccessUntil} />
            )}
          </Card>
        </div>
        <h2>{t('person.spaces')}</h2>
        <div className="grid">
          {a.spaces.map((s) => (
            <SpaceCard key={s.id} space={s} role={s.role} link />
          ))}
        </div>
      </div>
    </>
  );
}

export function SpacePage() {
  const { spaceId = '' } = useParams();
  const { t } = useTranslation('operators');
  const q = useQuery({ queryKey: ['admin-space', spaceId], queryFn: () => api(adminGetSpace, { params: { spaceId } }) });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  return (
    <>
      <PageHeader title={q.data.name} description={t('space.lead')} />
      <SpaceCard space={q.data} />
    </>
  );
}
