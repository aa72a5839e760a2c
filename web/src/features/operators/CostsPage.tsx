import { adminCosts, adminMargins, adminQuotaAdvisor, type CostGroup, type MarginRow } from '@csme/contracts/costs';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Button, Card, EmptyState, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { BarChart, type BarSeries } from '../../ui/charts';
import { type Column, DataTable } from '../../ui/data-table';
import { formatBasisPoints, formatMicros, formatMonth, formatNumber, recentMonths } from './format';
import { type MonthRange, MonthRangeForm } from './MonthRangeForm';

const GROUPS: CostGroup[] = ['plan', 'agent', 'pack', 'model', 'space'];

function csvHref(q: Record<string, string>) {
  return `/api/v1/admin/costs/export.csv?${new URLSearchParams(q).toString()}`;
}

function Margins({ range }: { range: MonthRange }) {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  const q = useQuery({ queryKey: ['admin-margins', range], queryFn: () => api(adminMargins, { query: range }) });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  const r = q.data;
  const money = (n: number) => formatMicros(n, lang);
  const plans = r.byPlan.filter((p) => p.runs || p.revenueMicros);
  const summary = t('costs.chartSummary', {
    revenue: money(r.total.revenueMicros),
    cost: money(r.total.costMicros),
    margin: formatBasisPoints(r.total.marginBasisPoints, lang),
  });
  const bars = {
    revenue: { key: 'revenue', label: t('costs.revenue'), tone: 1, value: (x) => x.revenueMicros },
    cost: { key: 'cost', label: t('costs.cost'), tone: 2, value: (x) => x.costMicros },
    margin: { key: 'margin', label: t('costs.margin'), tone: 3, value: (x) => x.marginMicros },
  } satisfies Record<string, BarSeries<MarginRow>>;
  const col = {
    month: { key: 'month', header: t('costs.month'), cell: (x) => formatMonth(x.month ?? '', lang) },
    plan: { key: 'plan', header: t('costs.plan'), cell: (x) => x.planName },
    runs: { key: 'runs', header: t('costs.runs'), num: true, cell: (x) => formatNumber(x.runs, lang) },
    revenue: { key: 'revenue', header: t('costs.revenue'), num: true, cell: (x) => money(x.revenueMicros) },
    cost: { key: 'cost', header: t('costs.cost'), num: true, cell: (x) => money(x.costMicros) },
    margin: { key: 'margin', header: t('costs.margin'), num: true, cell: (x) => money(x.marginMicros) },
    marginPct: { key: 'marginPct', header: t('costs.marginPct'), num: true, cell: (x) => formatBasisPoints(x.marginBasisPoints, lang) },
  } satisfies Record<string, Column<MarginRow>>;
  /** The column that names each row of a summary table, whose last row is the total. */
  const named = (c: Column<MarginRow>): Column<MarginRow> => ({
    ...c,
    rowHeader: true,
    cell: (x) => (x.month === null && x.planId === 'all' ? t('costs.total') : c.cell(x)),
  });
  const figures = [col.runs, col.revenue, col.cost, col.margin, col.marginPct];
  const rowKey = (x: MarginRow) => `${x.month}/${x.planId}`;
  return (
    <>
      <Card title={t('costs.byMonthTitle')}>
        <BarChart
          title={t('costs.byMonthChart')}
          summary={summary}
          rows={r.byMonth}
          category={(m) => formatMonth(m.month ?? '', lang)}
          series={[bars.revenue, bars.cost, bars.margin]}
          format={money}
        />
        <DataTable
          caption={t('costs.byMonthChart')}
          columns={[named(col.month), ...figures]}
          rows={[...r.byMonth, r.total]}
          rowKey={rowKey}
        />
      </Card>
      <Card title={t('costs.byPlanTitle')}>
        {plans.length ? (
          <BarChart
            title={t('costs.byPlanChart')}
            summary={summary}
            rows={plans}
            category={(p) => p.planName}
            series={[bars.revenue, bars.cost]}
            format={money}
          />
        ) : (
          <p className="muted">{t('costs.nothingYet')}</p>
        )}
        <DataTable caption={t('costs.byPlanChart')} columns={[named(col.plan), ...figures]} rows={r.byPlan} rowKey={rowKey} />
        <details>
          <summary>{t('costs.perMonthAndPlan')}</summary>
          <DataTable
            caption={t('costs.perMonthAndPlan')}
            columns={[col.month, col.plan, col.revenue, col.cost, col.marginPct]}
            rows={r.rows.filter((x) => x.runs || x.revenueMicros)}
            rowKey={rowKey}
          />
        </details>
        <p className="muted small">{t('costs.fxNote', { rate: formatMicros(r.microsPerAgora * 100, lang) })}</p>
        <a href={csvHref({ ...range, report: 'margins' })} download>
          {t('costs.downloadMargins')}
        </a>
      </Card>
    </>
  );
}

function CostTable({ range }: { range: MonthRange }) {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  const [by, setBy] = useState<CostGroup>('plan');
  const q = useQuery({ queryKey: ['admin-costs', range, by], queryFn: () => api(adminCosts, { query: { ...range, by, limit: 50 } }) });
  const money = (n: number) => formatMicros(n, lang);
  const group = t(`costs.by.${by}`);
  const title = t('costs.perRunChart', { by: group });
  return (
    <Card title={t('costs.perRunTitle')}>
      <p className="muted">{t('costs.perRunLead')}</p>
      <div className="tabs" role="group" aria-label={t('costs.groupBy')}>
        {GROUPS.map((g) => (
          <Button key={g} size="small" aria-pressed={by === g} onClick={() => setBy(g)}>
            {t(`costs.by.${g}`)}
          </Button>
        ))}
      </div>
      {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {q.data && !q.data.rows.length ? <EmptyState title={t('costs.noRuns')}>{t('costs.noRunsHint')}</EmptyState> : null}
      {q.data?.rows.length ? (
        <>
          <BarChart
            title={title}
            summary={t('costs.perRunSummary', { total: money(q.data.total.costMicros), runs: formatNumber(q.data.total.runs, lang) })}
            rows={q.data.rows.slice(0, 8)}
            category={(r) => (r.label.length > 18 ? `${r.label.slice(0, 17)}…` : r.label)}
            series={[
              { key: 'model', label: t('costs.model'), tone: 4, value: (r) => r.modelMicros },
              { key: 'compute', label: t('costs.compute'), tone: 2, value: (r) => r.computeMicros },
            ]}
            format={money}
          />
          <DataTable
            caption={title}
            rows={[...q.data.rows, q.data.total]}
            rowKey={(r) => r.key}
            columns={[
              {
                key: 'group',
                header: group,
                rowHeader: true,
                cell: (r) =>
                  r.key === 'total' ? t('costs.total') : by === 'space' ? <Link to={`/admin/spaces/${r.key}`}>{r.label}</Link> : r.label,
              },
              { key: 'runs', header: t('costs.runs'), num: true, cell: (r) => formatNumber(r.runs, lang) },
              { key: 'model', header: t('costs.model'), num: true, cell: (r) => money(r.modelMicros) },
              { key: 'compute', header: t('costs.compute'), num: true, cell: (r) => money(r.computeMicros) },
              { key: 'cost', header: t('costs.cost'), num: true, cell: (r) => money(r.costMicros) },
              {
                key: 'perRun',
                header: t('costs.perRun'),
                num: true,
                cell: (r) => (r.costPerRunMicros === null ? '—' : money(r.costPerRunMicros)),
              },
            ]}
          />
          <p className="muted small">
            {t('costs.computeNote', { rate: money(q.data.computeMicrosPerRunSecond) })}{' '}
            <Link to="/admin/settings#modelPrices">{t('costs.priceTable')}</Link>
          </p>
        </>
      ) : null}
      <a href={csvHref({ ...range, report: 'costs', by })} download>
        {t('costs.downloadCosts', { by: group })}
      </a>
    </Card>
  );
}

function Advisor() {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  const [planId, setPlanId] = useState('pro');
  const [target, setTarget] = useState('70');
  const [budget, setBudget] = useState('0.50');
  const [months, setMonths] = useState('3');
  const advise = useMutation({
    mutationFn: () =>
      api(adminQuotaAdvisor, {
        query:
          planId === 'free'
            ? { planId, budgetMicros: Math.round(Number(budget.replace(',', '.')) * 1_000_000), months: Number(months) }
            : { planId, targetMarginBasisPoints: Math.round(Number(target.replace(',', '.')) * 100), months: Number(months) },
      }),
  });
  const r = advise.data;
  const money = (n: number | null) => (n === null ? '—' : formatMicros(n, lang));
  return (
    <Card title={t('advisor.title')}>
      <p className="muted">{t('advisor.lead')}</p>
      <form
        className="row"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          advise.mutate();
        }}
      >
        <SelectField label={t('advisor.plan')} value={planId} onChange={(e) => setPlanId(e.target.value)}>
          <option value="free">Free</option>
          <option value="pro">Personal Pro</option>
          <option value="family">Family</option>
        </SelectField>
        {planId === 'free' ? (
          <TextField
            label={t('advisor.budget')}
            hint={t('advisor.budgetHint')}
            inputMode="decimal"
            dir="ltr"
            className="compact-field"
            value={budget}
            onChange={(e) => setBudget(e.target.value)}
          />
        ) : (
          <TextField
            label={t('advisor.target')}
            inputMode="decimal"
            dir="ltr"
            className="compact-field"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
          />
        )}
        <SelectField label={t('advisor.months')} value={months} onChange={(e) => setMonths(e.target.value)}>
          {[1, 2, 3, 6, 12].map((m) => (
            <option key={m} value={m}>
              {t('advisor.monthsN', { count: m })}
            </option>
          ))}
        </SelectField>
        <Button type="submit" variant="primary" busy={advise.isPending}>
          {t('advisor.run')}
        </Button>
      </form>
      {advise.isError ? <ErrorNotice error={advise.error} /> : null}
      {r ? (
        <div className="stack" aria-live="polite">
          <p className="proposal">
            {r.proposedRunsPerMonth !== null
              ? t('advisor.proposal', {
                  plan: r.planName,
                  runs: formatNumber(r.proposedRunsPerMonth, lang),
                  current: r.currentLimit === null ? '—' : formatNumber(r.currentLimit, lang),
                })
              : t('advisor.noProposal')}
          </p>
          {r.notes.map((n) => (
            <p key={n} className="muted">
              {t(`advisor.notes.${n}`, { count: r.spaces })}
            </p>
          ))}
          <dl className="facts">
            <dt>{t('advisor.window')}</dt>
            <dd>
              {new Date(r.window.from).toLocaleDateString(lang)} – {new Date(r.window.to).toLocaleDateString(lang)}
            </dd>
            <dt>{t('advisor.price')}</dt>
            <dd>{money(r.priceMicros)}</dd>
            <dt>{t('advisor.targetMargin')}</dt>
            <dd>{formatBasisPoints(r.targetMarginBasisPoints, lang)}</dd>
            <dt>{t('advisor.allowed')}</dt>
            <dd>{money(r.allowedCostMicros)}</dd>
            <dt>{t('advisor.spacesMeasured')}</dt>
            <dd>{formatNumber(r.spaces, lang)}</dd>
            <dt>{t('advisor.runsMeasured')}</dt>
            <dd>{formatNumber(r.runs, lang)}</dd>
            <dt>{t('advisor.mean')}</dt>
            <dd>{money(r.costPerRun.meanMicros)}</dd>
            <dt>{t('advisor.p50')}</dt>
            <dd>{money(r.costPerRun.p50Micros)}</dd>
            <dt>{t('advisor.p90')}</dt>
            <dd>
              {money(r.costPerRun.p90Micros)}
              {r.p90Space
                ? ` (${t('advisor.p90Space', { runs: formatNumber(r.p90Space.runs, lang), cost: money(r.p90Space.costMicros) })})`
                : ''}
            </dd>
            <dt>{t('advisor.currentMargin')}</dt>
            <dd>{formatBasisPoints(r.currentLimitMarginBasisPoints, lang)}</dd>
          </dl>
          <p className="muted small">{t('advisor.how')}</p>
          <Link to="/admin/plans">{t('advisor.toPlans')}</Link>
        </div>
      ) : null}
    </Card>
  );
}

/** Operators: what the instance costs and earns, by plan and month, per run, and the quota advisor. */
export function CostsPage() {
  const { t } = useTranslation('operators');
  const [range, setRange] = useState<MonthRange>(recentMonths);
  return (
    <>
      <PageHeader title={t('costs.title')} description={t('costs.lead')} />
      <div className="stack">
        <MonthRangeForm value={range} onSubmit={setRange} />
        <Margins range={range} />
        <CostTable range={range} />
        <Advisor />
      </div>
    </>
  );
}
