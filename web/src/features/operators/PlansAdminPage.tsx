import { adminCreatePlanVersion, adminListPlanVersions, adminMigratePlan, type PlanVersionView } from '@csme/contracts/billing';
import type { PlanLimits, Price } from '@csme/contracts/plans';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { DataTable } from '../../ui/data-table';
import { formatMoney } from '../plans/money';
import { formatDate } from './format';

const NUMERIC = ['packs', 'agents', 'runsPerMonth', 'historyDays', 'members'] as const;
const SLOTS = [
  { currency: 'USD', interval: 'month' },
  { currency: 'USD', interval: 'year' },
  { currency: 'ILS', interval: 'month' },
  { currency: 'ILS', interval: 'year' },
] as const;

function NewVersion({ current, onDone }: { current: PlanVersionView; onDone: (v: PlanVersionView) => void }) {
  const { t } = useTranslation('operators');
  const [limits, setLimits] = useState<PlanLimits>(current.limits);
  const [prices, setPrices] = useState<Record<string, string>>(() =>
    Object.fromEntries(current.prices.map((p) => [`${p.currency}/${p.interval}`, (p.amount / 100).toFixed(2)])),
  );
  const [note, setNote] = useState('');
  const save = useMutation({
    mutationFn: () => {
      const list: Price[] = [];
      for (const s of SLOTS) {
        const v = prices[`${s.currency}/${s.interval}`]?.trim();
        if (v) list.push({ currency: s.currency, interval: s.interval, amount: Math.round(Number(v.replace(',', '.')) * 100) });
      }
      return api(adminCreatePlanVersion, {
        params: { planId: current.id },
        body: { limits, prices: current.id === 'free' ? undefined : list, note },
      });
    },
    onSuccess: onDone,
  });
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const isBase = current.kind === 'base';
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <p className="muted">{t('plans.newLead')}</p>
      {save.isError ? <ErrorNotice error={save.error} /> : null}
      {isBase ? (
        <div className="grid">
          {NUMERIC.map((k) => (
            <TextField
              key={k}
              label={t(`limits.${k}`)}
              type="number"
              inputMode="numeric"
              min={0}
              className="compact-field"
              value={String(limits[k] ?? '')}
              onChange={(e) => setLimits({ ...limits, [k]: e.target.value === '' ? undefined : Number(e.target.value) })}
            />
          ))}
          <SelectField
            label={t('limits.connectors')}
            value={limits.connectors ?? 'basic'}
            onChange={(e) => setLimits({ ...limits, connectors: e.target.value as 'basic' | 'all' })}
          >
            <option value="basic">{t('limits.basic')}</option>
            <option value="all">{t('limits.allConnectors')}</option>
          </SelectField>
          <SelectField
            label={t('limits.queuePriority')}
            value={limits.queuePriority ?? 'normal'}
            onChange={(e) => setLimits({ ...limits, queuePriority: e.target.value as 'normal' | 'high' })}
          >
            <option value="normal">{t('limits.normal')}</option>
            <option value="high">{t('limits.high')}</option>
          </SelectField>
        </div>
      ) : null}
      {current.id !== 'free' ? (
        <div className="grid">
          {SLOTS.map((s) => (
            <TextField
              key={`${s.currency}/${s.interval}`}
              label={t('plans.price', { currency: s.currency, interval: t(`plans.${s.interval}`) })}
              inputMode="decimal"
              dir="ltr"
              value={prices[`${s.currency}/${s.interval}`] ?? ''}
              onChange={(e) => setPrices({ ...prices, [`${s.currency}/${s.interval}`]: e.target.value })}
            />
          ))}
        </div>
      ) : null}
      <TextField
        label={t('plans.note')}
        hint={t('plans.noteHint')}
        value={note}
        maxLength={300}
        onChange={(e) => setNote(e.target.value)}
        error={fieldErrors.note}
      />
      <div>
        <Button type="submit" variant="primary" busy={save.isPending}>
          {t('plans.create')}
        </Button>
      </div>
    </form>
  );
}

function Migrate({ planId, older }: { planId: string; older: number }) {
  const { t, i18n } = useTranslation('operators');
  const [days, setDays] = useState('30');
  const m = useMutation({ mutationFn: () => api(adminMigratePlan, { params: { planId }, body: { noticeDays: Number(days) } }) });
  if (!older) return <p className="muted">{t('plans.nobodyOlder')}</p>;
  return (
    <div className="stack">
      <p>{t('plans.olderSubscribers', { count: older })}</p>
      {m.isError ? <ErrorNotice error={m.error} /> : null}
      {m.data ? (
        <Alert tone="ok">
          {t('plans.migrated', { scheduled: m.data.scheduled, skipped: m.data.skipped, date: formatDate(m.data.notBefore, i18n.language) })}
        </Alert>
      ) : null}
      <div className="row">
        <TextField
          label={t('plans.noticeDays')}
          type="number"
          min={0}
          max={365}
          className="compact-field"
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
        <Button busy={m.isPending} onClick={() => m.mutate()}>
          {t('plans.migrate')}
        </Button>
      </div>
    </div>
  );
}

/** Operators: plans and their versions. A change makes a new version; subscribers keep theirs until moved, with notice. */
export function PlansAdminPage() {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  const qc = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [created, setCreated] = useState<PlanVersionView | null>(null);
  const q = useQuery({ queryKey: ['admin-plan-versions'], queryFn: () => api(adminListPlanVersions) });
  const plans = new Map<string, PlanVersionView[]>();
  for (const v of q.data?.versions ?? []) plans.set(v.id, [...(plans.get(v.id) ?? []), v]);
  return (
    <>
      <PageHeader
        title={t('plans.title')}
        description={t('plans.lead')}
        actions={
          <span className="row">
            <Link to="/admin/costs">{t('plans.toAdvisor')}</Link>
            <Link to="/admin/billing">{t('plans.toBilling')}</Link>
          </span>
        }
      />
      <div className="stack">
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {created ? <Alert tone="ok">{t('plans.created', { plan: created.name, version: created.version })}</Alert> : null}
        {[...plans.values()].map((versions) => {
          const sorted = [...versions].sort((a, b) => b.version - a.version);
          const current = sorted[0]!;
          const older = sorted.slice(1).reduce((n, v) => n + v.subscribers, 0);
          return (
            <Card key={current.id} title={t('plans.planTitle', { plan: current.name, version: current.version })}>
              <DataTable
                caption={t('plans.versionsOf', { plan: current.name })}
                rows={sorted}
                rowKey={(v) => v.versionId}
                columns={[
                  {
                    key: 'version',
                    header: t('plans.version'),
                    cell: (v) => (
                      <>
                        {v.version} {v === current ? <span className="badge ok">{t('plans.current')}</span> : null}
                        <div className="muted small">{formatDate(v.createdAt, lang)}</div>
                      </>
                    ),
                  },
                  {
                    key: 'limits',
                    header: t('plans.limitsCol'),
                    className: 'small',
                    cell: (v) =>
                      Object.entries(v.limits)
                        .map(
                          ([k, x]) => `${t(`limits.${k}`, { defaultValue: k })}: ${typeof x === 'boolean' ? (x ? t('yes') : t('no')) : x}`,
                        )
                        .join(' · '),
                  },
                  {
                    key: 'prices',
                    header: t('plans.pricesCol'),
                    className: 'small',
                    cell: (v) =>
                      v.prices.length
                        ? v.prices.map((p) => `${formatMoney(p.amount, p.currency, lang)} / ${t(`plans.${p.interval}`)}`).join(' · ')
                        : t('plans.noPrice'),
                  },
                  { key: 'subscribers', header: t('plans.subscribers'), num: true, cell: (v) => v.subscribers },
                  { key: 'note', header: t('plans.noteCol'), className: 'small', cell: (v) => v.note ?? '' },
                ]}
              />
              <Migrate planId={current.id} older={older} />
              {editing === current.id ? (
                <NewVersion
                  current={current}
                  onDone={async (v) => {
                    setCreated(v);
                    setEditing(null);
                    await qc.invalidateQueries({ queryKey: ['admin-plan-versions'] });
                  }}
                />
              ) : (
                <div>
                  <Button onClick={() => setEditing(current.id)}>{t('plans.edit', { plan: current.name })}</Button>
                </div>
              )}
            </Card>
          );
        })}
      </div>
    </>
  );
}
