import { adminLab, adminPromoteVariant, type LabAgentView, type LabFigure, type LabVariantView } from '@csme/contracts/lab';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, EmptyState, PageHeader, Spinner } from '../../ui';
import { type Column, DataTable } from '../../ui/data-table';
import { formatDate, formatMicros, formatNumber, formatRate, recentMonths } from './format';
import { MonthRangeForm } from './MonthRangeForm';

const FIGURES = ['approvalRate', 'editRate', 'failureRate', 'costPerRunMicros', 'runSeconds'] as const;

function Figure({ f, kind, min }: { f: LabFigure; kind: (typeof FIGURES)[number]; min: number }) {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  if (f.value === null) return <span className="muted small">{t('lab.withheld', { count: Math.max(0, min - f.spaces) })}</span>;
  const fmt = (n: number | null) =>
    n === null
      ? '—'
      : kind === 'costPerRunMicros'
        ? formatMicros(Math.round(n), lang)
        : kind === 'runSeconds'
          ? `${formatNumber(n, lang, 1)} s`
          : formatRate(n, lang);
  return (
    <span>
      {fmt(f.value)}
      <span className="muted small">
        {' '}
        ({fmt(f.low)} – {fmt(f.high)}, {t('lab.spacesN', { count: f.spaces })})
      </span>
    </span>
  );
}

function Agent({ agent, min }: { agent: LabAgentView; min: number }) {
  const { t, i18n } = useTranslation('operators');
  const qc = useQueryClient();
  const promote = useMutation({
    mutationFn: (variant: string) => api(adminPromoteVariant, { body: { packId: agent.packId, agentKey: agent.agentKey, variant } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-lab'] }),
  });
  const columns: Column<LabVariantView>[] = [
    {
      key: 'variant',
      header: t('lab.variant'),
      rowHeader: true,
      cell: (v) => (
        <>
          {v.variant === null ? t('lab.asDeclared') : v.name}
          <div className="muted small">{t('lab.spacesN', { count: v.spaces })}</div>
        </>
      ),
    },
    { key: 'runs', header: t('lab.runs'), num: true, cell: (v) => formatNumber(v.runs, i18n.language) },
    ...FIGURES.map(
      (f): Column<LabVariantView> => ({ key: f, header: t(`lab.figures.${f}`), cell: (v) => <Figure f={v[f]} kind={f} min={min} /> }),
    ),
  ];
  if (agent.declared.length)
    columns.push({
      key: 'action',
      header: t('lab.action'),
      cell: ({ variant, name }) =>
        variant !== null && agent.declared.some((d) => d.id === variant) && agent.winner?.variant !== variant ? (
          <Button size="small" busy={promote.isPending && promote.variables === variant} onClick={() => promote.mutate(variant)}>
            {t('lab.promote')}
            <span className="visually-hidden"> {name}</span>
          </Button>
        ) : null,
    });
  return (
    <Card title={`${agent.packName}: ${agent.agentName}`}>
      {agent.winner ? (
        <Alert tone="ok">
          {t('lab.winner', {
            variant: agent.declared.find((d) => d.id === agent.winner?.variant)?.name ?? agent.winner.variant,
            date: formatDate(agent.winner.promotedAt, i18n.language),
          })}
        </Alert>
      ) : null}
      {promote.isError ? <ErrorNotice error={promote.error} /> : null}
      {promote.data ? <Alert tone="ok">{t('lab.promoted', { count: promote.data.agentsUpdated })}</Alert> : null}
      <DataTable
        caption={t('lab.tableCaption', { agent: agent.agentName })}
        columns={columns}
        rows={agent.variants}
        rowKey={(v) => v.variant ?? 'declared'}
      />
      {agent.declared.length ? (
        <p className="muted small">{t('lab.declared', { list: agent.declared.map((d) => `${d.name} (${d.weight})`).join(', ') })}</p>
      ) : null}
    </Card>
  );
}

/** Operators: how agents and their variants do, as aggregates over at least 5 spaces; promote a winner. */
export function LabPage() {
  const { t } = useTranslation('operators');
  const [range, setRange] = useState(recentMonths);
  const q = useQuery({ queryKey: ['admin-lab', range], queryFn: () => api(adminLab, { query: range }) });
  return (
    <>
      <PageHeader title={t('lab.title')} description={t('lab.lead')} />
      <div className="stack">
        <Alert tone="info">{t('lab.method')}</Alert>
        <MonthRangeForm value={range} onSubmit={setRange} />
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data ? <p className="muted">{t('lab.optedOut', { count: q.data.optedOutSpaces })}</p> : null}
        {q.data && !q.data.agents.length ? <EmptyState title={t('lab.empty')}>{t('lab.emptyHint')}</EmptyState> : null}
        {q.data?.agents.map((a) => (
          <Agent key={`${a.packId}/${a.agentKey}`} agent={a} min={q.data.minSpaces} />
        ))}
      </div>
    </>
  );
}
