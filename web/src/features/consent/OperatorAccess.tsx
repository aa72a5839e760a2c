import {
  getSupportAccess,
  grantSupportAccess,
  revokeSupportAccess,
  type SupportAccessView,
  stopImpersonation,
} from '@csme/contracts/admin';
import { getLabParticipation, setLabParticipation } from '@csme/contracts/lab';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, SelectField } from '../../ui';

const KEY = ['support-access'] as const;
const when = (iso: string, lang: string) =>
  new Date(iso).toLocaleString(lang === 'he' ? 'he-IL' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** Settings → Operator access: the person allows the operators to act as them, for a while, and can withdraw it at once. */
export function OperatorAccessCard() {
  const { t, i18n } = useTranslation('consent');
  const qc = useQueryClient();
  const [hours, setHours] = useState('24');
  const q = useQuery({ queryKey: KEY, queryFn: () => api(getSupportAccess) });
  const done = (v: SupportAccessView) => qc.setQueryData(KEY, v);
  const grant = useMutation({ mutationFn: () => api(grantSupportAccess, { body: { hours: Number(hours) } }), onSuccess: done });
  const revoke = useMutation({ mutationFn: () => api(revokeSupportAccess), onSuccess: done });
  const v = q.data;
  return (
    <Card title={t('access.title')}>
      <p>{t('access.lead')}</p>
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {grant.isError ? <ErrorNotice error={grant.error} /> : null}
      {revoke.isError ? <ErrorNotice error={revoke.error} /> : null}
      {v?.impersonations.map((s) => (
        <Alert key={s.startedAt} tone="warn">
          {t('access.active', { name: s.operatorName, since: when(s.startedAt, i18n.language), until: when(s.expiresAt, i18n.language) })}
        </Alert>
      ))}
      {v?.grant ? (
        <>
          <p>
            <strong>{t('access.on', { until: when(v.grant.expiresAt, i18n.language) })}</strong>
          </p>
          <div>
            <Button variant="danger" busy={revoke.isPending} onClick={() => revoke.mutate()}>
              {t('access.withdraw')}
            </Button>
          </div>
        </>
      ) : v ? (
        <div className="row">
          <SelectField label={t('access.for')} value={hours} onChange={(e) => setHours(e.target.value)}>
            {[1, 4, 24, 72].map((h) => (
              <option key={h} value={h}>
                {t('access.hours', { count: h })}
              </option>
            ))}
          </SelectField>
          <Button busy={grant.isPending} onClick={() => grant.mutate()}>
            {t('access.allow')}
          </Button>
        </div>
      ) : null}
      <p className="muted small">{t('access.fine')}</p>
    </Card>
  );
}

/** Settings → Experimentation lab: the active space takes part (anonymous aggregates, agents' variants), or opts out. */
export function LabParticipationCard() {
  const { t } = useTranslation('consent');
  const id = useId();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['lab-participation'], queryFn: () => api(getLabParticipation) });
  const set = useMutation({
    mutationFn: (optedOut: boolean) => api(setLabParticipation, { body: { optedOut } }),
    onSuccess: (v) => qc.setQueryData(['lab-participation'], v),
  });
  return (
    <Card title={t('lab.title')}>
      <p>{t('lab.lead')}</p>
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {set.isError ? <ErrorNotice error={set.error} /> : null}
      {q.data ? (
        <div className="row">
          <input
            id={id}
            type="checkbox"
            checked={!q.data.optedOut}
            disabled={set.isPending}
            onChange={(e) => set.mutate(!e.target.checked)}
          />
          <label htmlFor={id}>{t('lab.takePart')}</label>
        </div>
      ) : null}
      {q.data?.optedOut ? <p className="muted small">{t('lab.out')}</p> : null}
    </Card>
  );
}

/**
 * Across the top of every page while operator access matters: an operator acting as this person sees
 * whose account they are in (and can stop); the person sees that an operator is acting as them, or that
 * they allow it, and can withdraw it in one click.
 */
export function SupportAccessBanner() {
  const { t, i18n } = useTranslation('consent');
  const qc = useQueryClient();
  const q = useQuery({ queryKey: KEY, queryFn: () => api(getSupportAccess), staleTime: 30_000, refetchInterval: 60_000 });
  const stop = useMutation({ mutationFn: () => api(stopImpersonation, { body: {} }), onSuccess: () => window.location.assign('/sign-in') });
  const revoke = useMutation({ mutationFn: () => api(revokeSupportAccess), onSuccess: (v) => qc.setQueryData(KEY, v) });
  const v = q.data;
  if (!v) return null;
  const lang = i18n.language;
  if (v.actingAs)
    return (
      <div className="banner alert warn" role="status">
        <span>{t('banner.actingAs', { name: v.actingAs.accountName, until: when(v.actingAs.expiresAt, lang) })}</span>
        <Button size="small" busy={stop.isPending} onClick={() => stop.mutate()}>
          {t('banner.stop')}
        </Button>
      </div>
    );
  const active = v.impersonations[0];
  if (!active && !v.grant) return null;
  return (
    <div className={`banner alert ${active ? 'warn' : 'info'}`} role="status">
      <span>
        {active
          ? t('banner.operatorActing', { name: active.operatorName, until: when(active.expiresAt, lang) })
          : t('banner.allowed', { until: when(v.grant!.expiresAt, lang) })}
      </span>
      <Button size="small" busy={revoke.isPending} onClick={() => revoke.mutate()}>
        {t('banner.withdraw')}
      </Button>
    </div>
  );
}
