import { adminListAccounts, adminListSpaces } from '@csme/contracts/admin';
import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Button, EmptyState, MoreButton, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { formatDate, formatNumber } from './format';

type Status = 'all' | 'active' | 'suspended';

function People({ q, status }: { q: string; status: Status }) {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  const list = useInfiniteQuery({
    queryKey: ['admin-accounts', q, status],
    queryFn: ({ pageParam }) => api(adminListAccounts, { query: { q: q || undefined, status, limit: 25, cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (list.isError) return <ErrorNotice error={list.error} onRetry={() => list.refetch()} />;
  if (!items.length) return <EmptyState title={t('people.empty')}>{t('people.emptyHint')}</EmptyState>;
  return (
    <>
      <div className="card table-wrap">
        <table className="table">
          <caption className="visually-hidden">{t('people.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('people.person')}</th>
              <th scope="col">{t('people.plan')}</th>
              <th scope="col" className="num">
                {t('people.runs')}
              </th>
              <th scope="col">{t('people.status')}</th>
              <th scope="col">{t('people.since')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link to={`/admin/people/${a.id}`}>{a.displayName}</Link>
                  <div className="muted small" dir="ltr">
                    {a.email}
                  </div>
                </td>
                <td>{a.planName ?? '—'}</td>
                <td className="num">
                  {formatNumber(a.runsUsed, lang)}
                  {a.runsLimit !== null ? ` / ${formatNumber(a.runsLimit, lang)}` : ''}
                </td>
                <td>
                  <span className="row">
                    {a.suspendedAt ? (
                      <span className="badge danger">{t('people.suspended')}</span>
                    ) : (
                      <span className="badge ok">{t('people.active')}</span>
                    )}
                    {a.isOperator ? <span className="badge">{t('people.operator')}</span> : null}
                    {a.supportAccessUntil ? (
                      <span className="badge warn">{t('people.accessUntil', { date: formatDate(a.supportAccessUntil, lang) })}</span>
                    ) : null}
                  </span>
                </td>
                <td>{formatDate(a.createdAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <MoreButton label={t('more')} pages={list} />
    </>
  );
}

function Spaces({ q }: { q: string }) {
  const { t, i18n } = useTranslation('operators');
  const list = useInfiniteQuery({
    queryKey: ['admin-spaces', q],
    queryFn: ({ pageParam }) => api(adminListSpaces, { query: { q: q || undefined, limit: 25, cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (list.isError) return <ErrorNotice error={list.error} onRetry={() => list.refetch()} />;
  if (!items.length) return <EmptyState title={t('people.noSpaces')}>{t('people.emptyHint')}</EmptyState>;
  return (
    <>
      <div className="card table-wrap">
        <table className="table">
          <caption className="visually-hidden">{t('people.spacesTitle')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('people.space')}</th>
              <th scope="col">{t('people.owner')}</th>
              <th scope="col">{t('people.plan')}</th>
              <th scope="col" className="num">
                {t('people.members')}
              </th>
              <th scope="col">{t('people.since')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/admin/spaces/${s.id}`}>{s.name}</Link>
                  <div className="muted small">{t(`kind.${s.kind}`)}</div>
                </td>
                <td dir="ltr">{s.ownerEmail}</td>
                <td>{s.planName ?? '—'}</td>
                <td className="num">{s.members}</td>
                <td>{formatDate(s.createdAt, i18n.language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <MoreButton label={t('more')} pages={list} />
    </>
  );
}

/** Operators: find a person or a space by name, email or id; see plan and runs at a glance. */
export function PeoplePage() {
  const { t } = useTranslation('operators');
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<Status>('all');
  const [view, setView] = useState<'people' | 'spaces'>('people');
  return (
    <>
      <PageHeader title={t('people.title')} description={t('people.lead')} />
      <div className="stack">
        <form
          className="row"
          role="search"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            setQ(draft.trim());
          }}
        >
          <TextField label={t('people.search')} hint={t('people.searchHint')} value={draft} onChange={(e) => setDraft(e.target.value)} />
          {view === 'people' ? (
            <SelectField label={t('people.status')} value={status} onChange={(e) => setStatus(e.target.value as Status)}>
              <option value="all">{t('people.all')}</option>
              <option value="active">{t('people.active')}</option>
              <option value="suspended">{t('people.suspended')}</option>
            </SelectField>
          ) : null}
          <Button type="submit" variant="primary">
            {t('people.find')}
          </Button>
        </form>
        <div className="tabs">
          <Button aria-pressed={view === 'people'} onClick={() => setView('people')}>
            {t('people.peopleTab')}
          </Button>
          <Button aria-pressed={view === 'spaces'} onClick={() => setView('spaces')}>
            {t('people.spacesTab')}
          </Button>
        </div>
        {view === 'people' ? <People q={q} status={status} /> : <Spaces q={q} />}
      </div>
    </>
  );
}
