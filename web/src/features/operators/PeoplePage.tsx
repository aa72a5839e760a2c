import { adminListAccounts, adminListSpaces } from '@csme/contracts/admin';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { Button, EmptyState, PageHeader, SelectField, TextField } from '../../ui';
import { formatDate, formatNumber } from './format';
import { PagedTable } from './PagedTable';

type Status = 'all' | 'active' | 'suspended';

function People({ q, status }: { q: string; status: Status }) {
  const { t, i18n } = useTranslation('operators');
  const lang = i18n.language;
  return (
    <PagedTable
      queryKey={['admin-accounts', q, status]}
      fetchPage={(cursor) => api(adminListAccounts, { query: { q: q || undefined, status, limit: 25, cursor } })}
      caption={t('people.title')}
      empty={<EmptyState title={t('people.empty')}>{t('people.emptyHint')}</EmptyState>}
      columns={[
        {
          key: 'person',
          header: t('people.person'),
          cell: (a) => (
            <>
              <Link to={`/admin/people/${a.id}`}>{a.displayName}</Link>
              <div className="muted small" dir="ltr">
                {a.email}
              </div>
            </>
          ),
        },
        { key: 'plan', header: t('people.plan'), cell: (a) => a.planName ?? '—' },
        {
          key: 'runs',
          header: t('people.runs'),
          num: true,
          cell: (a) => `${formatNumber(a.runsUsed, lang)}${a.runsLimit !== null ? ` / ${formatNumber(a.runsLimit, lang)}` : ''}`,
        },
        {
          key: 'status',
          header: t('people.status'),
          cell: (a) => (
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
          ),
        },
        { key: 'since', header: t('people.since'), cell: (a) => formatDate(a.createdAt, lang) },
      ]}
    />
  );
}

function Spaces({ q }: { q: string }) {
  const { t, i18n } = useTranslation('operators');
  return (
    <PagedTable
      queryKey={['admin-spaces', q]}
      fetchPage={(cursor) => api(adminListSpaces, { query: { q: q || undefined, limit: 25, cursor } })}
      caption={t('people.spacesTitle')}
      empty={<EmptyState title={t('people.noSpaces')}>{t('people.emptyHint')}</EmptyState>}
      columns={[
        {
          key: 'space',
          header: t('people.space'),
          cell: (s) => (
            <>
              <Link to={`/admin/spaces/${s.id}`}>{s.name}</Link>
              <div className="muted small">{t(`kind.${s.kind}`)}</div>
            </>
          ),
        },
        { key: 'owner', header: t('people.owner'), dir: 'ltr', cell: (s) => s.ownerEmail },
        { key: 'plan', header: t('people.plan'), cell: (s) => s.planName ?? '—' },
        { key: 'members', header: t('people.members'), num: true, cell: (s) => s.members },
        { key: 'since', header: t('people.since'), cell: (s) => formatDate(s.createdAt, i18n.language) },
      ]}
    />
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
