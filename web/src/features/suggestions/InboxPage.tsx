import type { SuggestionView } from '@csme/contracts/suggestions';
import { batchApprove, getSuggestion, listSuggestions } from '@csme/contracts/suggestions';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Button, EmptyState, MoreButton, PageHeader, Spinner, Tabs, useTabParam } from '../../ui';
import { SuggestionCard, useSuggestionsChanged } from './SuggestionCard';

const IN_FLIGHT = new Set(['approved', 'executing']);

function useInbox(tab: 'open' | 'done') {
  return useInfiniteQuery({
    queryKey: ['suggestions', tab],
    queryFn: ({ pageParam }) => api(listSuggestions, { query: { status: tab, limit: 30, cursor: pageParam || undefined } }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Approved actions move to done within seconds: follow them closely; otherwise look for new suggestions now and then.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((s) => IN_FLIGHT.has(s.status))) ? 2000 : 15_000),
  });
}

/** A suggestion decided on this visit that has left the open list: its outcome stays in view until the person leaves. */
function JustDecided({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['suggestion', id],
    queryFn: () => api(getSuggestion, { params: { suggestionId: id } }),
    refetchInterval: (query) => (query.state.data && IN_FLIGHT.has(query.state.data.status) ? 1500 : false),
  });
  return q.data ? <SuggestionCard s={q.data} /> : null;
}

function BatchBar({
  selected,
  items,
  onClear,
  onDecided,
}: {
  selected: Set<string>;
  items: SuggestionView[];
  onClear: () => void;
  onDecided: (ids: string[]) => void;
}) {
  const { t } = useTranslation('suggestions');
  const changed = useSuggestionsChanged();
  const m = useMutation({
    mutationFn: () =>
      api(batchApprove, {
        body: { items: items.filter((s) => selected.has(s.id)).map((s) => ({ id: s.id, hash: s.actionHash })) },
      }),
    onSuccess: (r) => {
      onDecided(r.results.filter((x) => x.ok).map((x) => x.id));
      if (r.results.every((x) => x.ok)) onClear();
      return changed();
    },
  });
  const failed = m.data?.results.filter((r) => !r.ok) ?? [];
  return (
    <div className="stack">
      {failed.length ? (
        <Alert tone="warn" title={t('batchSomeFailed', { count: failed.length })}>
          <ul>
            {failed.map((f) => (
              <li key={f.id}>
                {items.find((s) => s.id === f.id)?.title ?? f.id}: {f.message}
              </li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {m.isError ? <ErrorNotice error={m.error} /> : null}
      {selected.size ? (
        <div className="sticky-actions" role="region" aria-label={t('batchRegion')}>
          <span aria-live="polite">{t('selectedCount', { count: selected.size })}</span>
          <div className="row">
            <Button variant="primary" busy={m.isPending} onClick={() => m.mutate()}>
              {t('approveSelected', { count: selected.size })}
            </Button>
            <Button onClick={onClear}>{t('clearSelection')}</Button>
          </div>
        </div>
      ) : null}
    </div>
  );
}

export function InboxPage() {
  const { t } = useTranslation('suggestions');
  const session = useShellSession();
  const [tab, setTab] = useTabParam('open', 'done');
  const q = useInbox(tab);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [decided, setDecided] = useState<string[]>([]);
  const addDecided = (ids: string[]) => setDecided((cur) => [...ids.filter((id) => !cur.includes(id)), ...cur]);
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const pendingCount = q.data?.pages[0]?.pendingCount;
  const qc = useQueryClient();
  // The inbox knows the count too: keep the one in the menu in step.
  useEffect(() => {
    if (pendingCount !== undefined) qc.setQueryData(['suggestions', 'count'], pendingCount);
  }, [pendingCount, qc]);
  const pending = items.filter((s) => s.status === 'pending');
  const inMotion = items.filter((s) => s.status !== 'pending');
  const selectedPending = new Set([...selected].filter((id) => pending.some((s) => s.id === id)));
  const toggle = (id: string, on: boolean) =>
    setSelected((cur) => {
      const next = new Set(cur);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const canBatch = session.activeSpace.role !== 'child' && pending.length > 1;
  const justDecided = tab === 'open' ? decided.filter((id) => !items.some((s) => s.id === id)) : [];
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <Tabs
        label={t('tabsLabel')}
        value={tab}
        onChange={(k) => {
          setSelected(new Set());
          setTab(k);
        }}
        items={[
          { key: 'open', label: pendingCount ? t('tabOpenCount', { count: pendingCount }) : t('tabOpen') },
          { key: 'done', label: t('tabDone') },
        ]}
      />
      {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}

      {justDecided.length ? (
        <section className="stack" aria-labelledby="decided-h" style={{ marginBlockEnd: 'var(--space-4)' }}>
          <h2 id="decided-h">{t('justDecided')}</h2>
          {justDecided.map((id) => (
            <JustDecided key={id} id={id} />
          ))}
        </section>
      ) : null}
      {q.data && !items.length ? (
        tab === 'open' ? (
          <EmptyState
            title={t('emptyOpen')}
            action={
              <Link className="button" to="/agents">
                {t('toAgents')}
              </Link>
            }
          >
            {t('emptyOpenHint')}
          </EmptyState>
        ) : (
          <EmptyState title={t('emptyDone')}>{t('emptyDoneHint')}</EmptyState>
        )
      ) : null}

      <div className="stack">
        {tab === 'open' && pending.length ? (
          <section className="stack" aria-labelledby="waiting-h">
            <div className="item-row">
              <h2 id="waiting-h" style={{ margin: 0 }}>
                {t('waitingTitle', { count: pending.length })}
              </h2>
              {canBatch ? (
                <Button size="small" onClick={() => setSelected(new Set(pending.map((s) => s.id)))}>
                  {t('selectAll')}
                </Button>
              ) : null}
            </div>
            <p className="muted" style={{ margin: 0 }}>
              {t('waitingLead')}
            </p>
            {pending.map((s) => (
              <SuggestionCard
                key={s.id}
                s={s}
                selected={selected.has(s.id)}
                onToggle={canBatch ? (on) => toggle(s.id, on) : undefined}
                onDecided={(id) => addDecided([id])}
              />
            ))}
            {canBatch ? (
              <BatchBar selected={selectedPending} items={pending} onClear={() => setSelected(new Set())} onDecided={addDecided} />
            ) : null}
          </section>
        ) : null}
        {tab === 'open' && inMotion.length ? (
          <section className="stack" aria-labelledby="motion-h">
            <h2 id="motion-h">{t('inMotionTitle')}</h2>
            {inMotion.map((s) => (
              <SuggestionCard key={s.id} s={s} onDecided={(id) => addDecided([id])} />
            ))}
          </section>
        ) : null}
        {tab === 'done' ? items.map((s) => <SuggestionCard key={s.id} s={s} />) : null}
        <MoreButton label={t('more')} pages={q} />
      </div>
    </>
  );
}
