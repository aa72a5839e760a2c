import type { ListDetail, ListItemView } from '@csme/contracts/lists';
import { addListItems, clearDoneItems, deleteList, deleteListItem, getList, updateListItem } from '@csme/contracts/lists';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, ConfirmButton, EmptyState, Form, PageHeader, Spinner, TextField, useInvalidate } from '../../ui';
import { bidi } from '../../ui/format';

const amount = (i: { quantity: number | null; unit: string | null }) => [i.quantity ?? '', i.unit ?? ''].filter((x) => x !== '').join(' ');

function useSetList(listId: string) {
  const qc = useQueryClient();
  return async (d: ListDetail) => {
    qc.setQueryData(['list', listId], d);
    await qc.invalidateQueries({ queryKey: ['lists'] });
  };
}

function Item({ listId, item }: { listId: string; item: ListItemView }) {
  const { t, i18n } = useTranslation('lists');
  const id = useId();
  const setList = useSetList(listId);
  const change = useMutation({
    mutationFn: (body: { done?: boolean; staple?: boolean }) => api(updateListItem, { params: { listId, itemId: item.id }, body }),
    onSuccess: setList,
  });
  const remove = useMutation({ mutationFn: () => api(deleteListItem, { params: { listId, itemId: item.id } }), onSuccess: setList });
  const who = item.addedByAgent ? t('byAgent') : item.addedBy ? t('addedBy', { name: bidi(item.addedBy, i18n.language) }) : '';
  return (
    <li className="list-item">
      <input
        id={id}
        type="checkbox"
        className="big"
        checked={item.done}
        disabled={change.isPending}
        onChange={(e) => change.mutate({ done: e.target.checked })}
      />
      <label htmlFor={id} className={item.done ? 'done-title' : undefined} dir="auto">
        {item.name}
        {amount(item) ? <span className="muted"> · {amount(item)}</span> : null}
        {who ? <span className="small muted"> · {who}</span> : null}
      </label>
      <button
        type="button"
        className={`icon-button${item.staple ? ' on' : ''}`}
        aria-pressed={item.staple}
        aria-label={item.staple ? t('unmakeStaple', { name: item.name }) : t('makeStaple', { name: item.name })}
        title={t('staple')}
        onClick={() => change.mutate({ staple: !item.staple })}
      >
        {item.staple ? '★' : '☆'}
      </button>
      <button type="button" className="icon-button" aria-label={t('remove', { name: item.name })} onClick={() => remove.mutate()}>
        ×
      </button>
      {change.isError ? <ErrorNotice error={change.error} /> : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
    </li>
  );
}

function AddItems({ listId }: { listId: string }) {
  const { t } = useTranslation('lists');
  const [text, setText] = useState('');
  const [missing, setMissing] = useState(false);
  const [result, setResult] = useState<{ added: number; merged: number } | null>(null);
  const setList = useSetList(listId);
  const m = useMutation({
    mutationFn: () => api(addListItems, { params: { listId }, body: { text: text.trim() } }),
    onSuccess: async (d) => {
      setText('');
      setResult({ added: d.added.length, merged: d.merged.length });
      await setList(d);
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  return (
    <Card title={t('addTitle')}>
      <Form
        submitLabel={t('add')}
        busy={m.isPending}
        onSubmit={() => {
          if (!text.trim()) return setMissing(true);
          setMissing(false);
          setResult(null);
          m.mutate();
        }}
      >
        <TextField
          label={t('addLabel')}
          hint={t('addHint')}
          value={text}
          maxLength={5000}
          dir="auto"
          error={missing ? t('addRequired') : errors.text}
          onChange={(e) => setText(e.target.value)}
        />
        {m.isError && !errors.text ? <ErrorNotice error={m.error} /> : null}
        {result ? (
          <Alert tone="ok">
            {t('added', { count: result.added })} {result.merged ? t('mergedNote', { count: result.merged }) : ''}
          </Alert>
        ) : null}
      </Form>
    </Card>
  );
}

function Staples({ list }: { list: ListDetail }) {
  const { t } = useTranslation('lists');
  const setList = useSetList(list.id);
  const m = useMutation({
    mutationFn: () =>
      api(addListItems, {
        params: { listId: list.id },
        body: {
          items: list.missingStaples.map((s) => ({
            name: s.name,
            category: s.category,
            ...(s.quantity ? { quantity: s.quantity } : {}),
            ...(s.unit ? { unit: s.unit } : {}),
          })),
        },
      }),
    onSuccess: setList,
  });
  return (
    <Card title={t('staplesTitle')}>
      {list.missingStaples.length ? (
        <>
          <p>
            {t('staplesHint')}{' '}
            <span dir="auto">{list.missingStaples.map((s) => [amount(s), s.name].filter(Boolean).join(' ')).join(', ')}</span>
          </p>
          <div>
            <Button variant="primary" busy={m.isPending} onClick={() => m.mutate()}>
              {t('addStaples')}
            </Button>
          </div>
          {m.isError ? <ErrorNotice error={m.error} /> : null}
        </>
      ) : (
        <p className="muted">{t('noStaples')}</p>
      )}
    </Card>
  );
}

export function ListPage() {
  const { t } = useTranslation('lists');
  const { listId = '' } = useParams();
  const family = useShellSession().activeSpace.kind === 'family';
  const navigate = useNavigate();
  const listsChanged = useInvalidate('lists');
  const setList = useSetList(listId);
  const q = useQuery({
    queryKey: ['list', listId],
    queryFn: () => api(getList, { params: { listId } }),
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
  const clear = useMutation({ mutationFn: () => api(clearDoneItems, { params: { listId } }), onSuccess: setList });
  const remove = useMutation({
    mutationFn: () => api(deleteList, { params: { listId } }),
    onSuccess: async () => {
      await listsChanged();
      navigate('/lists');
    },
  });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError)
    return q.error instanceof ApiError && q.error.status === 404 ? (
      <EmptyState title={t('title')} action={<Link to="/lists">{t('back')}</Link>}>
        {t('notFound')}
      </EmptyState>
    ) : (
      <ErrorNotice error={q.error} onRetry={() => q.refetch()} />
    );
  const list = q.data;
  const ticked = list.items.filter((i) => i.done);
  return (
    <>
      <p>
        <Link to="/lists">{t('back')}</Link>
      </p>
      <PageHeader
        title={list.name}
        description={
          <>
            {t(`kinds.${list.kind}`)}
            {family ? ` · ${t(list.visibility)}` : ''} {list.demo ? <Badge tone="info">{t('sample')}</Badge> : null}
          </>
        }
      />
      <div className="stack">
        <AddItems listId={list.id} />
        <section className="card stack" aria-labelledby="to-get">
          <h2 id="to-get">{t('toGet')}</h2>
          {!list.aisles.length ? <p className="muted">{t('nothingToGet')}</p> : null}
          {list.aisles.map((a) => (
            <div key={a.category} className="stack" style={{ gap: 'var(--space-1)' }}>
              <h3 className="aisle">{t(`aisles.${a.category}`)}</h3>
              <ul className="check-list" aria-label={t(`aisles.${a.category}`)}>
                {a.items.map((i) => (
                  <Item key={i.id} listId={list.id} item={i} />
                ))}
              </ul>
            </div>
          ))}
        </section>
        {list.kind === 'shopping' ? <Staples list={list} /> : null}
        {ticked.length ? (
          <section className="card stack" aria-labelledby="ticked">
            <h2 id="ticked">{t('ticked')}</h2>
            <ul className="check-list" aria-label={t('ticked')}>
              {ticked.map((i) => (
                <Item key={i.id} listId={list.id} item={i} />
              ))}
            </ul>
            <div>
              <Button busy={clear.isPending} onClick={() => clear.mutate()}>
                {t('clearTicked')}
              </Button>
            </div>
            {clear.isError ? <ErrorNotice error={clear.error} /> : null}
          </section>
        ) : null}
        <div>
          <ConfirmButton
            question={t('deleteQuestion', { name: list.name })}
            confirmLabel={t('deleteYes')}
            cancelLabel={t('cancel', { ns: 'common' })}
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
          >
            {t('deleteList')}
          </ConfirmButton>
          {remove.isError ? <ErrorNotice error={remove.error} /> : null}
        </div>
      </div>
    </>
  );
}
