import type { ActivityEntry } from '@csme/contracts/activity';
import { listActivity, verifyActivity } from '@csme/contracts/activity';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, EmptyState, MoreButton, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { formatDateTime } from '../../ui/format';
import { useAgents } from '../agents/AgentsPage';

/** The kinds a person filters by: each is a prefix of the entries' kinds (`suggestion` covers created, approved, ...). */
const KIND_GROUPS = ['suggestion', 'action', 'pack', 'settings', 'agent', 'connector', 'model'] as const;

/** A day typed in a date box, as the start of that day in the browser's time zone. */
const dayStart = (day: string, plusDays = 0) => {
  const d = new Date(`${day}T00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
};

function Who({ e, agentNames }: { e: ActivityEntry; agentNames: Map<string, string> }) {
  const { t } = useTranslation('activity');
  const session = useShellSession();
  switch (e.actorKind) {
    case 'person':
      return <>{e.actorAccountId === session.account.id ? t('actor.you') : t('actor.member')}</>;
    case 'agent': {
      const name = e.agentId ? agentNames.get(e.agentId) : undefined;
      return <>{name ? t('actor.agentNamed', { name }) : t('actor.agent')}</>;
    }
    case 'operator':
      return <>{t('actor.operator')}</>;
    default:
      return <>{t('actor.system')}</>;
  }
}

/** Where an entry's object lives in the app, when it has a page. */
function objectLink(e: ActivityEntry): string | null {
  if (!e.objectId) return null;
  switch (e.objectType) {
    case 'pack_installation':
      return `/installations/${e.objectId}`;
    case 'agent':
      return `/agents/${e.objectId}`;
    case 'run':
      return `/runs/${e.objectId}`;
    default:
      return null;
  }
}

function Verify() {
  const { t } = useTranslation('activity');
  const m = useMutation({ mutationFn: () => api(verifyActivity) });
  return (
    <Card title={t('verifyTitle')}>
      <p className="muted">{t('verifyLead')}</p>
      <div>
        <Button busy={m.isPending} onClick={() => m.mutate()}>
          {t('verify')}
        </Button>
      </div>
      {m.data?.valid ? <Alert tone="ok">{t('verifyOk', { count: m.data.entries })}</Alert> : null}
      {m.data && !m.data.valid ? <Alert tone="error">{t('verifyBroken', { seq: m.data.brokenAtSeq })}</Alert> : null}
      {m.isError ? <ErrorNotice error={m.error} /> : null}
    </Card>
  );
}

export function ActivityPage() {
  const { t, i18n } = useTranslation('activity');
  const session = useShellSession();
  const [params, setParams] = useSearchParams();
  const kind = params.get('kind') ?? '';
  const agentId = params.get('agent') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const agents = useAgents();
  const agentNames = new Map((agents.data?.items ?? []).map((a) => [a.id, a.name]));
  const badRange = Boolean(from && to && from > to);
  const q = useInfiniteQuery({
    queryKey: ['activity', { kind, agentId, from, to }],
    queryFn: ({ pageParam }) =>
      api(listActivity, {
        query: {
          limit: 50,
          cursor: pageParam || undefined,
          kind: kind || undefined,
          agentId: agentId || undefined,
          from: from ? dayStart(from) : undefined,
          to: to ? dayStart(to, 1) : undefined,
        },
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: !badRange,
  });
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(kind || agentId || from || to);
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <Verify />
        <div className="toolbar" style={{ margin: 0 }}>
          <SelectField label={t('filterKind')} value={kind} onChange={(e) => setFilter('kind', e.target.value)}>
            <option value="">{t('allKinds')}</option>
            {KIND_GROUPS.map((k) => (
              <option key={k} value={k}>
                {t(`kinds.${k}`)}
              </option>
            ))}
          </SelectField>
          <SelectField label={t('filterAgent')} value={agentId} onChange={(e) => setFilter('agent', e.target.value)}>
            <option value="">{t('allAgents')}</option>
            {agents.data?.items.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </SelectField>
          <TextField label={t('from')} type="date" value={from} max={to || undefined} onChange={(e) => setFilter('from', e.target.value)} />
          <TextField
            label={t('to')}
            type="date"
            value={to}
            min={from || undefined}
            error={badRange ? t('badRange') : undefined}
            onChange={(e) => setFilter('to', e.target.value)}
          />
        </div>
        {filtered ? (
          <div>
            <Button size="small" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
              {t('clearFilters')}
            </Button>
          </div>
        ) : null}
        {q.isPending && !badRange ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && !items.length ? (
          <EmptyState title={filtered ? t('noneMatch') : t('empty')}>{filtered ? t('noneMatchHint') : t('emptyHint')}</EmptyState>
        ) : null}
        <ol className="items" aria-label={t('listLabel')}>
          {items.map((e) => {
            const link = objectLink(e);
            return (
              <li key={e.id} className="card stack" style={{ gap: 'var(--space-1)' }}>
                <div className="item-row">
                  <span className="title" dir="auto">
                    {link ? <Link to={link}>{e.summary}</Link> : e.summary}
                  </span>
                  <Badge>{t(`kinds.${e.kind.split('.')[0]}`, { defaultValue: e.kind })}</Badge>
                </div>
                <p className="meta">
                  <span>
                    <Who e={e} agentNames={agentNames} />
                  </span>
                  <time dateTime={e.at}>{formatDateTime(e.at, i18n.language, session.account.timeZone, true)}</time>
                  {session.activeSpace.kind === 'family' && e.visibility === 'private' ? <span>{t('private')}</span> : null}
                  <span>#{e.seq}</span>
                </p>
              </li>
            );
          })}
        </ol>
        <MoreButton label={t('more')} pages={q} />
      </div>
    </>
  );
}
