import type { RunSummary } from '@csme/contracts/runs';
import { listRuns, RUN_STATUSES } from '@csme/contracts/runs';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Button, EmptyState, PageHeader, SelectField, Spinner } from '../../ui';
import { formatCostMicros, formatDateTime, formatDuration } from '../../ui/format';
import { useAgents } from '../agents/AgentsPage';
import { isLive, RunStatusBadge } from './status';

const PAGE = 25;

function RunRow({ run }: { run: RunSummary }) {
  const { t, i18n } = useTranslation('runs');
  const session = useShellSession();
  return (
    <li className="card stack" style={{ gap: 'var(--space-2)' }}>
      <div className="item-row">
        <Link className="title" to={`/runs/${run.id}`}>
          {run.agentName}
          <span className="visually-hidden">, {formatDateTime(run.queuedAt, i18n.language, session.account.timeZone)}</span>
        </Link>
        <RunStatusBadge status={run.status} />
      </div>
      <p className="meta">
        <span>{run.packName}</span>
        <span>{t(`trigger.${run.triggerKind}`)}</span>
        <time dateTime={run.queuedAt}>{formatDateTime(run.queuedAt, i18n.language, session.account.timeZone)}</time>
        {run.durationMs !== null ? <span>{t('took', { duration: formatDuration(run.durationMs, i18n.language) })}</span> : null}
        <span>{t('steps', { count: run.stepCount })}</span>
        <span>{t('cost', { cost: formatCostMicros(run.costMicros, i18n.language) })}</span>
      </p>
      {run.status === 'refused' && run.reason ? <span className="small">{run.reason}</span> : null}
      {run.status === 'failed' && run.error ? <span className="small">{run.error}</span> : null}
    </li>
  );
}

export function RunsPage() {
  const { t } = useTranslation('runs');
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const agentId = params.get('agent') ?? '';
  const agents = useAgents();
  const runs = useInfiniteQuery({
    queryKey: ['runs', { status, agentId }],
    queryFn: ({ pageParam }) =>
      api(listRuns, {
        query: {
          limit: PAGE,
          cursor: pageParam || undefined,
          status: (status || undefined) as RunSummary['status'] | undefined,
          agentId: agentId || undefined,
        },
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // While a run is queued or running, its progress shows up without a reload.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((r) => isLive(r.status))) ? 3000 : false),
  });
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const filtered = Boolean(status || agentId);
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="toolbar">
        <SelectField label={t('filterStatus')} value={status} onChange={(e) => setFilter('status', e.target.value)}>
          <option value="">{t('allStatuses')}</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('filterAgent')} value={agentId} onChange={(e) => setFilter('agent', e.target.value)}>
          <option value="">{t('allAgents')}</option>
          {agents.data?.items.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.packName})
            </option>
          ))}
        </SelectField>
      </div>
      {runs.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {runs.isError ? <ErrorNotice error={runs.error} onRetry={() => runs.refetch()} /> : null}
      {runs.data && !items.length ? (
        filtered ? (
          <EmptyState
            title={t('noneMatch')}
            action={<Button onClick={() => setParams(new URLSearchParams(), { replace: true })}>{t('clearFilters')}</Button>}
          >
            {t('noneMatchHint')}
          </EmptyState>
        ) : (
          <EmptyState
            title={t('empty')}
            action={
              <Link className="button primary" to="/agents">
                {t('toAgents')}
              </Link>
            }
          >
            {t('emptyHint')}
          </EmptyState>
        )
      ) : null}
      <ul className="items" aria-label={t('listLabel')}>
        {items.map((r) => (
          <RunRow key={r.id} run={r} />
        ))}
      </ul>
      {runs.hasNextPage ? (
        <p>
          <Button busy={runs.isFetchingNextPage} onClick={() => runs.fetchNextPage()}>
            {t('more')}
          </Button>
        </p>
      ) : null}
    </>
  );
}
