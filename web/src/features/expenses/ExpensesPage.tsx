import { listFiles } from '@csme/contracts/connectors';
import {
  createExpense,
  deleteExpense,
  EXPENSE_CATEGORIES,
  type ExpenseView,
  expenseFromReceipt,
  exportExpensesCsv,
  listExpenses,
} from '@csme/contracts/expenses';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, DeleteItemButton, EmptyState, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { formatMoney, parseMoney } from '../invoices/money';

// Agents change these records in the background: each page reads them fresh when it opens (staleTime 0).

const CURRENCIES = ['USD', 'EUR', 'GBP', 'ILS', 'CAD', 'AUD', 'CHF', 'JPY'];

function useExpensesChanged() {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: ['expenses'] }), qc.invalidateQueries({ queryKey: ['activity'] })]);
}

function AddExpense() {
  const { t } = useTranslation('expenses');
  const session = useShellSession();
  const today = new Date().toISOString().slice(0, 10);
  const [d, setD] = useState({
    spentOn: today,
    merchant: '',
    amount: '',
    currency: session.account.locale === 'he' ? 'ILS' : 'USD',
    category: '',
    note: '',
  });
  const [problem, setProblem] = useState('');
  const changed = useExpensesChanged();
  const m = useMutation({
    mutationFn: (amount: number) =>
      api(createExpense, {
        body: {
          spentOn: d.spentOn,
          merchant: d.merchant.trim(),
          amount,
          currency: d.currency,
          ...(d.category ? { category: d.category as ExpenseView['category'] } : {}),
          note: d.note,
        },
      }),
    onSuccess: () => {
      setD({ ...d, merchant: '', amount: '', note: '', category: '' });
      return changed();
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const amount = parseMoney(d.amount, d.currency);
    if (!d.merchant.trim()) return setProblem(t('merchantRequired'));
    if (amount === null) return setProblem(t('amountInvalid', { currency: d.currency }));
    setProblem('');
    m.mutate(amount);
  };
  return (
    <details className="card">
      <summary>{t('addTitle')}</summary>
      <form className="stack" noValidate onSubmit={submit} style={{ marginBlockStart: 'var(--space-3)' }}>
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField
            label={t('date')}
            type="date"
            value={d.spentOn}
            error={errors.spentOn}
            onChange={(e) => setD({ ...d, spentOn: e.target.value })}
          />
          <TextField
            label={t('merchant')}
            value={d.merchant}
            dir="auto"
            maxLength={200}
            onChange={(e) => setD({ ...d, merchant: e.target.value })}
          />
          <TextField
            label={t('amount')}
            inputMode="decimal"
            dir="ltr"
            value={d.amount}
            onChange={(e) => setD({ ...d, amount: e.target.value })}
          />
          <SelectField label={t('currency')} value={d.currency} onChange={(e) => setD({ ...d, currency: e.target.value })}>
            {CURRENCIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </SelectField>
          <SelectField label={t('category')} value={d.category} onChange={(e) => setD({ ...d, category: e.target.value })}>
            <option value="">{t('categoryAuto')}</option>
            {EXPENSE_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`categories.${c}`)}
              </option>
            ))}
          </SelectField>
        </div>
        <TextField label={t('note')} value={d.note} dir="auto" maxLength={2000} onChange={(e) => setD({ ...d, note: e.target.value })} />
        {problem ? <Alert tone="error">{problem}</Alert> : null}
        {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
        <div>
          <Button type="submit" variant="primary" busy={m.isPending}>
            {t('add')}
          </Button>
        </div>
      </form>
    </details>
  );
}

/** An uploaded file read as a receipt (the same local rules the Solo Back-office agent uses). */
function FromReceipt() {
  const { t } = useTranslation('expenses');
  const files = useQuery({ queryKey: ['files'], queryFn: () => api(listFiles) });
  const [fileId, setFileId] = useState('');
  const changed = useExpensesChanged();
  const m = useMutation({ mutationFn: () => api(expenseFromReceipt, { body: { fileId } }), onSuccess: () => changed() });
  const items = files.data?.items ?? [];
  return (
    <Card title={t('receiptTitle')}>
      {items.length ? (
        <form
          className="toolbar"
          style={{ margin: 0, alignItems: 'flex-end' }}
          onSubmit={(e) => {
            e.preventDefault();
            if (fileId) m.mutate();
          }}
        >
          <SelectField label={t('receiptFile')} value={fileId} onChange={(e) => setFileId(e.target.value)}>
            <option value="">{t('receiptChoose')}</option>
            {items.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </SelectField>
          <Button type="submit" variant="primary" busy={m.isPending} disabled={!fileId}>
            {t('receiptRead')}
          </Button>
        </form>
      ) : (
        <p className="muted">{t('receiptNoFiles')}</p>
      )}
      {m.isSuccess ? <Alert tone="ok">{t('receiptAdded', { merchant: m.data.merchant })}</Alert> : null}
      {m.isError ? <ErrorNotice error={m.error} /> : null}
    </Card>
  );
}

export function ExpensesPage() {
  const { t, i18n } = useTranslation('expenses');
  const session = useShellSession();
  const [range, setRange] = useState({ from: '', to: '' });
  const query = { ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) };
  const q = useQuery({
    staleTime: 0,
    queryKey: ['expenses', query],
    queryFn: () => api(listExpenses, { query: { ...query, limit: 500 } }),
  });
  const changed = useExpensesChanged();
  const remove = useMutation({ mutationFn: (id: string) => api(deleteExpense, { params: { expenseId: id } }), onSuccess: () => changed() });
  if (session.activeSpace.role === 'child')
    return (
      <>
        <PageHeader title={t('title')} />
        <EmptyState title={t('childTitle')}>{t('childHint')}</EmptyState>
      </>
    );
  const csv = `${exportExpensesCsv.path}?${new URLSearchParams(query).toString()}`;
  const items = q.data?.items ?? [];
  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('lead')}
        actions={
          <a className="button" href={csv} download>
            {t('export')}
          </a>
        }
      />
      <div className="stack">
        <FromReceipt />
        <AddExpense />
        <div className="toolbar">
          <TextField label={t('from')} type="date" value={range.from} onChange={(e) => setRange({ ...range, from: e.target.value })} />
          <TextField label={t('to')} type="date" value={range.to} onChange={(e) => setRange({ ...range, to: e.target.value })} />
        </div>
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data?.totals.length ? (
          <p className="meta">
            <span className="visually-hidden">{t('totals')}: </span>
            {q.data.totals.map((x) => (
              <Badge key={x.currency}>{t('total', { amount: formatMoney(x.amount, x.currency, i18n.language), count: x.count })}</Badge>
            ))}
          </p>
        ) : null}
        {q.data && !items.length ? <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState> : null}
        {items.length ? (
          <ul className="items" aria-label={t('listLabel')}>
            {items.map((x) => (
              <li key={x.id} className="card item-row">
                <div className="stack" style={{ gap: 'var(--space-1)' }}>
                  <strong dir="auto">{x.merchant}</strong>
                  <span className="meta small">
                    <span>{x.spentOn}</span>
                    <Badge>{t(`categories.${x.category}`)}</Badge>
                    {x.source !== 'manual' ? <span>{t(`source.${x.source}`)}</span> : null}
                    {x.createdByAgent ? <Badge tone="info">{t('byAgent')}</Badge> : null}
                    {x.note ? <span dir="auto">{x.note}</span> : null}
                  </span>
                </div>
                <div className="row">
                  <span className="title">{formatMoney(x.amount, x.currency, i18n.language)}</span>
                  <DeleteItemButton
                    itemName={x.merchant}
                    question={t('deleteQuestion')}
                    labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
                    mutation={{ isPending: remove.isPending, mutate: () => remove.mutate(x.id) }}
                  />
                </div>
              </li>
            ))}
          </ul>
        ) : null}
        {remove.isError ? <ErrorNotice error={remove.error} /> : null}
      </div>
    </>
  );
}
