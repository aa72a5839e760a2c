import { addCard, type CardView, createDeck, type DeckView, listDecks, reviewCard, reviewQueue } from '@csme/contracts/cards';
import { uploadFile } from '@csme/contracts/connectors';
import {
  addDocument,
  type DocumentView,
  deleteDocument,
  listDocuments,
  makeDocumentCards,
  updateDocument,
} from '@csme/contracts/documents';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, apiUpload } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, DeleteItemButton, EmptyState, ItemButton, PageHeader, Spinner, TextField } from '../../ui';

// Agents change these records in the background: each page reads them fresh when it opens (staleTime 0).

function useStudyChanged() {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: ['study'] }), qc.invalidateQueries({ queryKey: ['files'] })]);
}

/** Upload material: the file goes to Files, then becomes a study document with its summary. */
function Upload() {
  const { t } = useTranslation('study');
  const input = useRef<HTMLInputElement>(null);
  const changed = useStudyChanged();
  const m = useMutation({
    mutationFn: async (file: File) => {
      const form = new FormData();
      form.append('file', file);
      const f = await apiUpload(uploadFile, form);
      return api(addDocument, { body: { fileId: f.id } });
    },
    onSuccess: () => changed(),
  });
  return (
    <>
      <label className="visually-hidden" htmlFor="study-upload">
        {t('upload')}
      </label>
      <input
        id="study-upload"
        ref={input}
        type="file"
        accept=".pdf,.docx,.md,.markdown,.txt,application/pdf,text/plain,text/markdown"
        hidden
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) m.mutate(file);
          e.target.value = '';
        }}
      />
      <Button variant="primary" busy={m.isPending} onClick={() => input.current?.click()}>
        {m.isPending ? t('uploading') : t('upload')}
      </Button>
      {m.isError ? <ErrorNotice error={m.error} /> : null}
    </>
  );
}

function DocumentItem({ doc }: { doc: DocumentView }) {
  const { t } = useTranslation('study');
  const changed = useStudyChanged();
  const [exam, setExam] = useState(doc.examDate ?? '');
  const cards = useMutation({
    mutationFn: () => api(makeDocumentCards, { params: { documentId: doc.id }, body: { count: 10 } }),
    onSuccess: () => changed(),
  });
  const save = useMutation({
    mutationFn: () => api(updateDocument, { params: { documentId: doc.id }, body: { examDate: exam || null } }),
    onSuccess: () => changed(),
  });
  const remove = useMutation({ mutationFn: () => api(deleteDocument, { params: { documentId: doc.id } }), onSuccess: () => changed() });
  return (
    <li className="card stack" style={{ gap: 'var(--space-2)' }}>
      <div className="item-row">
        <h2 style={{ margin: 0, fontSize: '1.1rem' }} dir="auto">
          {doc.title}
        </h2>
        <span className="meta small">
          {doc.createdByAgent ? <Badge tone="info">{t('byAgent')}</Badge> : null}
          <Badge>{t('cardCount', { count: doc.cardCount })}</Badge>
        </span>
      </div>
      {doc.textProblem ? <Alert tone="warn">{doc.textProblem}</Alert> : null}
      {doc.summary ? (
        <p style={{ margin: 0 }} dir="auto">
          {doc.summary}
        </p>
      ) : (
        <p className="muted" style={{ margin: 0 }}>
          {t('noSummary')}
        </p>
      )}
      {doc.keyPhrases.length ? (
        <p className="meta small">
          <span className="visually-hidden">{t('keyPhrases')}: </span>
          {doc.keyPhrases.slice(0, 10).map((k) => (
            <Badge key={k}>{k}</Badge>
          ))}
        </p>
      ) : null}
      <form
        className="row"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <TextField label={t('examDate')} hint={t('examDateHint')} type="date" value={exam} onChange={(e) => setExam(e.target.value)} />
        <ItemButton itemName={doc.title} type="submit" busy={save.isPending}>
          {t('save', { ns: 'common' })}
        </ItemButton>
      </form>
      <div className="row">
        <ItemButton
          itemName={doc.title}
          variant="primary"
          busy={cards.isPending}
          disabled={Boolean(doc.textProblem)}
          onClick={() => cards.mutate()}
        >
          {doc.cardCount ? t('moreCards') : t('makeCards')}
        </ItemButton>
        {doc.deckId ? (
          <Link className="button small" to={`/study/review?deck=${doc.deckId}`}>
            {t('review')}
            <span className="visually-hidden">: {doc.title}</span>
          </Link>
        ) : null}
        <DeleteItemButton
          itemName={doc.title}
          question={t('deleteQuestion')}
          labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
          mutation={remove}
        />
      </div>
      {cards.isSuccess ? <Alert tone="ok">{t('cardsMade', { count: cards.data.added })}</Alert> : null}
      {[cards, save, remove].map((m, i) => (m.isError ? <ErrorNotice key={String(i)} error={m.error} /> : null))}
    </li>
  );
}

function Decks({ decks }: { decks: DeckView[] }) {
  const { t } = useTranslation('study');
  const session = useShellSession();
  const changed = useStudyChanged();
  const [name, setName] = useState('');
  const [card, setCard] = useState({ deckId: '', question: '', answer: '' });
  const make = useMutation({
    mutationFn: () => api(createDeck, { body: { name: name.trim() } }),
    onSuccess: () => {
      setName('');
      return changed();
    },
  });
  const add = useMutation({
    mutationFn: () =>
      api(addCard, { params: { deckId: card.deckId }, body: { question: card.question.trim(), answer: card.answer.trim() } }),
    onSuccess: () => {
      setCard({ ...card, question: '', answer: '' });
      return changed();
    },
  });
  return (
    <Card title={t('decksTitle')}>
      {decks.length ? (
        <ul className="items" aria-label={t('decksTitle')}>
          {decks.map((d) => (
            <li key={d.id} className="item-row">
              <span dir="auto">
                <strong>{d.name}</strong>{' '}
                <span className="small muted">{t('deckCounts', { due: d.dueCount, fresh: d.newCount, total: d.cardCount })}</span>
              </span>
              {d.dueCount + d.newCount ? (
                <Link className="button small" to={`/study/review?deck=${d.id}`}>
                  {t('review')}
                  <span className="visually-hidden">: {d.name}</span>
                </Link>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{t('noDecks')}</p>
      )}
      <details>
        <summary>{t('newDeck')}</summary>
        <form
          className="row"
          style={{ marginBlockStart: 'var(--space-2)' }}
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) make.mutate();
          }}
        >
          <TextField label={t('deckName')} value={name} dir="auto" maxLength={200} onChange={(e) => setName(e.target.value)} />
          <Button type="submit" size="small" busy={make.isPending}>
            {t('create')}
          </Button>
        </form>
        {session.activeSpace.role === 'child' ? <p className="small muted">{t('childDecks')}</p> : null}
        {make.isError ? <ErrorNotice error={make.error} /> : null}
      </details>
      {decks.length ? (
        <details>
          <summary>{t('newCard')}</summary>
          <form
            className="stack"
            style={{ marginBlockStart: 'var(--space-2)' }}
            onSubmit={(e) => {
              e.preventDefault();
              if (card.deckId && card.question.trim() && card.answer.trim()) add.mutate();
            }}
          >
            <label className="field">
              <span>{t('deck')}</span>
              <select value={card.deckId} onChange={(e) => setCard({ ...card, deckId: e.target.value })}>
                <option value="">{t('chooseDeck')}</option>
                {decks.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </label>
            <TextField
              label={t('question')}
              value={card.question}
              dir="auto"
              onChange={(e) => setCard({ ...card, question: e.target.value })}
            />
            <TextField label={t('answer')} value={card.answer} dir="auto" onChange={(e) => setCard({ ...card, answer: e.target.value })} />
            <div>
              <Button type="submit" size="small" busy={add.isPending}>
                {t('addCard')}
              </Button>
            </div>
            {add.isError ? <ErrorNotice error={add.error} /> : null}
          </form>
        </details>
      ) : null}
    </Card>
  );
}

export function StudyPage() {
  const { t } = useTranslation('study');
  const docs = useQuery({ staleTime: 0, queryKey: ['study', 'documents'], queryFn: () => api(listDocuments) });
  const decks = useQuery({ staleTime: 0, queryKey: ['study', 'decks'], queryFn: () => api(listDecks) });
  const due = (decks.data?.items ?? []).reduce((n, d) => n + d.dueCount + d.newCount, 0);
  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('lead')}
        actions={
          <>
            <Upload />
            {due ? (
              <Link className="button" to="/study/review">
                {t('reviewAll', { count: due })}
              </Link>
            ) : null}
          </>
        }
      />
      <div className="stack">
        {docs.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {docs.isError ? <ErrorNotice error={docs.error} onRetry={() => docs.refetch()} /> : null}
        {docs.data && !docs.data.items.length ? <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState> : null}
        {docs.data?.items.length ? (
          <ul className="items" aria-label={t('documents')}>
            {docs.data.items.map((d) => (
              <DocumentItem key={d.id} doc={d} />
            ))}
          </ul>
        ) : null}
        {decks.data ? <Decks decks={decks.data.items} /> : null}
      </div>
    </>
  );
}

/** A review session: one card at a time, the answer on demand, then Again, Hard, Good or Easy. */
export function ReviewPage() {
  const { t } = useTranslation('study');
  const qc = useQueryClient();
  const deckId = new URLSearchParams(window.location.search).get('deck') ?? undefined;
  const q = useQuery({
    staleTime: 0,
    queryKey: ['study', 'queue', deckId],
    queryFn: () => api(reviewQueue, { query: { deckId, limit: 50 } }),
  });
  const [shown, setShown] = useState(false);
  const [picked, setPicked] = useState<string | null>(null);
  const [done, setDone] = useState(0);
  const grade = useMutation({
    mutationFn: (v: { card: CardView; rating: 'again' | 'hard' | 'good' | 'easy' }) =>
      api(reviewCard, { params: { cardId: v.card.id }, body: { rating: v.rating } }),
    onSuccess: async () => {
      setShown(false);
      setPicked(null);
      setDone((n) => n + 1);
      await qc.invalidateQueries({ queryKey: ['study'] });
    },
  });
  const card = q.data?.items[0];
  return (
    <>
      <PageHeader title={t('reviewTitle')} description={t('reviewLead')} actions={<Link to="/study">{t('backToStudy')}</Link>} />
      <div className="stack">
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && !card ? (
          <EmptyState
            title={done ? t('sessionDone', { count: done }) : t('nothingDue')}
            action={<Link to="/study">{t('backToStudy')}</Link>}
          >
            {t('nothingDueHint')}
          </EmptyState>
        ) : null}
        {card ? (
          <Card title={t('cardOf', { due: q.data!.due, fresh: q.data!.new })}>
            <p className="title" dir="auto" style={{ fontSize: '1.2rem' }}>
              {card.question}
            </p>
            {card.choices && !shown ? (
              <div className="row" role="group" aria-label={t('choices')}>
                {card.choices.map((c) => (
                  <Button
                    key={c}
                    onClick={() => {
                      setPicked(c);
                      setShown(true);
                    }}
                  >
                    {c}
                  </Button>
                ))}
              </div>
            ) : null}
            {shown ? (
              <>
                {picked !== null ? (
                  <Alert tone={picked === card.answer ? 'ok' : 'warn'}>{picked === card.answer ? t('right') : t('wrong')}</Alert>
                ) : null}
                <p dir="auto">
                  <strong>{t('answerIs')}</strong> {card.answer}
                </p>
                <div className="row" role="group" aria-label={t('howWell')}>
                  {(['again', 'hard', 'good', 'easy'] as const).map((r) => (
                    <Button
                      key={r}
                      variant={r === 'good' ? 'primary' : undefined}
                      busy={grade.isPending}
                      onClick={() => grade.mutate({ card, rating: r })}
                    >
                      {t(`ratings.${r}`)}
                    </Button>
                  ))}
                </div>
              </>
            ) : card.choices ? null : (
              <div>
                <Button variant="primary" onClick={() => setShown(true)}>
                  {t('showAnswer')}
                </Button>
              </div>
            )}
            {grade.isError ? <ErrorNotice error={grade.error} /> : null}
          </Card>
        ) : null}
      </div>
    </>
  );
}
