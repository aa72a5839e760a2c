import type { NoteView } from '@csme/contracts/notes';
import { createNote, deleteNote, listNotes, updateNote } from '@csme/contracts/notes';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import {
  Badge,
  Card,
  DeleteItemButton,
  EmptyState,
  Form,
  ItemButton,
  MoreButton,
  PageHeader,
  SearchForm,
  SelectField,
  Spinner,
  TextArea,
  TextField,
  useInvalidate,
} from '../../ui';
import { bidi, formatDateTime } from '../../ui/format';
import { SafeMarkdown } from './SafeMarkdown';

function NoteForm({ note, onDone }: { note?: NoteView; onDone: () => void }) {
  const { t } = useTranslation('notes');
  const family = useShellSession().activeSpace.kind === 'family';
  const [title, setTitle] = useState(note?.title ?? '');
  const [body, setBody] = useState(note?.body ?? '');
  const [visibility, setVisibility] = useState<'shared' | 'private'>('shared');
  const [missing, setMissing] = useState(false);
  const changed = useInvalidate('notes');
  const m = useMutation({
    mutationFn: () =>
      note
        ? api(updateNote, { params: { noteId: note.id }, body: { title: title.trim(), body } })
        : api(createNote, { body: { title: title.trim(), body, ...(family ? { visibility } : {}) } }),
    onSuccess: async () => {
      if (!note) {
        setTitle('');
        setBody('');
      }
      await changed();
      onDone();
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  if (missing) errors.title = t('titleRequired');
  return (
    <Form
      submitLabel={note ? t('saveChanges') : t('save')}
      busy={m.isPending}
      cancel={note ? { label: t('cancel', { ns: 'common' }), onClick: onDone } : undefined}
      onSubmit={() => {
        if (!title.trim()) return setMissing(true);
        setMissing(false);
        m.mutate();
      }}
    >
      <TextField
        label={t('noteTitle')}
        value={title}
        maxLength={300}
        dir="auto"
        required
        error={errors.title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <TextArea
        label={t('body')}
        hint={t('bodyHint')}
        value={body}
        rows={note ? 8 : 4}
        dir="auto"
        error={errors.body}
        onChange={(e) => setBody(e.target.value)}
      />
      {family && !note ? (
        <SelectField label={t('visibility')} value={visibility} onChange={(e) => setVisibility(e.target.value as 'shared' | 'private')}>
          <option value="shared">{t('shared')}</option>
          <option value="private">{t('private')}</option>
        </SelectField>
      ) : null}
      {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
    </Form>
  );
}

function NoteCard({ note }: { note: NoteView }) {
  const { t, i18n } = useTranslation('notes');
  const session = useShellSession();
  const [editing, setEditing] = useState(false);
  const changed = useInvalidate('notes');
  const remove = useMutation({ mutationFn: () => api(deleteNote, { params: { noteId: note.id } }), onSuccess: () => changed() });
  return (
    <li className="card stack">
      {editing ? (
        <NoteForm note={note} onDone={() => setEditing(false)} />
      ) : (
        <>
          <h2 dir="auto" style={{ margin: 0 }}>
            {note.title}
          </h2>
          <p className="meta">
            {note.demo ? <Badge tone="info">{t('sample')}</Badge> : null}
            {note.createdByAgent ? <Badge tone="info">{t('byAgent')}</Badge> : null}
            {session.activeSpace.kind === 'family' ? <span>{t(note.visibility)}</span> : null}
            {note.createdBy ? <span>{t('by', { name: bidi(note.createdBy, i18n.language) })}</span> : null}
            {note.updatedBy && note.updatedBy !== note.createdBy ? (
              <span>{t('changedBy', { name: bidi(note.updatedBy, i18n.language) })}</span>
            ) : null}
            <span>{formatDateTime(note.updatedAt, i18n.language, session.account.timeZone)}</span>
          </p>
          {note.body ? <SafeMarkdown>{note.body}</SafeMarkdown> : null}
          <div className="row">
            <ItemButton itemName={note.title} onClick={() => setEditing(true)}>
              {t('edit')}
            </ItemButton>
            <DeleteItemButton
              itemName={note.title}
              question={t('deleteQuestion', { title: bidi(note.title, i18n.language) })}
              labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
              mutation={remove}
            />
          </div>
          {remove.isError ? <ErrorNotice error={remove.error} /> : null}
        </>
      )}
    </li>
  );
}

export function NotesPage() {
  const { t } = useTranslation('notes');
  const [search, setSearch] = useState('');
  const notes = useInfiniteQuery({
    queryKey: ['notes', search],
    queryFn: ({ pageParam }) => api(listNotes, { query: { q: search || undefined, limit: 30, cursor: pageParam || undefined } }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = notes.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <Card title={t('newNote')}>
          <NoteForm onDone={() => undefined} />
        </Card>
        <SearchForm label={t('search')} buttonLabel={t('searchButton')} onSearch={setSearch} />
        {notes.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {notes.isError ? <ErrorNotice error={notes.error} onRetry={() => notes.refetch()} /> : null}
        {notes.data && !items.length ? (
          search ? (
            <p className="muted">{t('noMatch', { q: search })}</p>
          ) : (
            <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState>
          )
        ) : null}
        <ul className="items" aria-label={t('title')}>
          {items.map((n) => (
            <NoteCard key={n.id} note={n} />
          ))}
        </ul>
        <MoreButton label={t('more')} pages={notes} />
      </div>
    </>
  );
}
