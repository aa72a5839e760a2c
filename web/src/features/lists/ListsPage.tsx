import { createList, listLists } from '@csme/contracts/lists';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Badge, Card, EmptyState, Form, PageHeader, SelectField, Spinner, TextField, useInvalidate } from '../../ui';
import { bidi } from '../../ui/format';

type Kind = 'shopping' | 'todo' | 'other';

function NewList() {
  const { t } = useTranslation('lists');
  const family = useShellSession().activeSpace.kind === 'family';
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind>('shopping');
  const [visibility, setVisibility] = useState<'shared' | 'private'>('shared');
  const [missing, setMissing] = useState(false);
  const navigate = useNavigate();
  const listsChanged = useInvalidate('lists');
  const m = useMutation({
    mutationFn: () => api(createList, { body: { name: name.trim(), kind, ...(family ? { visibility } : {}) } }),
    onSuccess: async (l) => {
      await listsChanged();
      navigate(`/lists/${l.id}`);
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  if (missing) errors.name = t('nameRequired');
  return (
    <Card title={t('newList')}>
      <Form
        submitLabel={t('create')}
        busy={m.isPending}
        onSubmit={() => {
          if (!name.trim()) return setMissing(true);
          setMissing(false);
          m.mutate();
        }}
      >
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField
            label={t('listName')}
            value={name}
            maxLength={120}
            dir="auto"
            error={errors.name}
            onChange={(e) => setName(e.target.value)}
          />
          <SelectField label={t('kind')} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {(['shopping', 'todo', 'other'] as const).map((k) => (
              <option key={k} value={k}>
                {t(`kinds.${k}`)}
              </option>
            ))}
          </SelectField>
          {family ? (
            <SelectField label={t('visibility')} value={visibility} onChange={(e) => setVisibility(e.target.value as 'shared' | 'private')}>
              <option value="shared">{t('shared')}</option>
              <option value="private">{t('private')}</option>
            </SelectField>
          ) : null}
        </div>
        {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
      </Form>
    </Card>
  );
}

export function ListsPage() {
  const { t, i18n } = useTranslation('lists');
  const family = useShellSession().activeSpace.kind === 'family';
  const lists = useQuery({ queryKey: ['lists'], queryFn: () => api(listLists) });
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        {lists.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {lists.isError ? <ErrorNotice error={lists.error} onRetry={() => lists.refetch()} /> : null}
        {lists.data && !lists.data.items.length ? <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState> : null}
        {lists.data?.items.length ? (
          <ul className="items" aria-label={t('title')}>
            {lists.data.items.map((l) => (
              <li key={l.id} className="card item-row">
                <div>
                  <Link to={`/lists/${l.id}`} className="title" dir="auto" aria-label={t('open', { name: l.name })}>
                    {l.name}
                  </Link>
                  <p className="meta">
                    <span>{t(`kinds.${l.kind}`)}</span>
                    {family ? <span>{t(l.visibility)}</span> : null}
                    {l.demo ? <Badge tone="info">{t('sample')}</Badge> : null}
                    {l.updatedBy ? <span>{t('changedBy', { name: bidi(l.updatedBy, i18n.language) })}</span> : null}
                  </p>
                </div>
                <Badge tone={l.openItems ? 'info' : undefined}>{t('openItems', { count: l.openItems })}</Badge>
              </li>
            ))}
          </ul>
        ) : null}
        <NewList />
      </div>
    </>
  );
}
