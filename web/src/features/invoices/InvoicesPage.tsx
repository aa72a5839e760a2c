import type { CreateInvoiceInput, InvoiceView } from '@csme/contracts/invoices';
import {
  createClientInvoice,
  deleteClientInvoice,
  draftInvoiceFromText,
  getInvoiceProfile,
  issueClientInvoice,
  listClientInvoices,
  markClientInvoicePaid,
  sendClientInvoice,
  updateClientInvoice,
  updateInvoiceProfile,
} from '@csme/contracts/invoices';
import { listAgents } from '@csme/contracts/packs';
import { runAgentNow } from '@csme/contracts/runs';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, ConfirmButton, EmptyState, PageHeader, SelectField, Spinner, TextArea, TextField } from '../../ui';
import { bidi } from '../../ui/format';
import { formatMoney, parseMoney } from './money';

// Agents change these records in the background: each page reads them fresh when it opens (staleTime 0).

const CURRENCIES = ['USD', 'EUR', 'GBP', 'ILS', 'CAD', 'AUD', 'CHF', 'JPY'];
const TONES = { draft: undefined, sent: 'info', paid: 'ok', overdue: 'danger' } as const;

function useInvoicesChanged() {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['invoices'] }),
      qc.invalidateQueries({ queryKey: ['activity'] }),
      qc.invalidateQueries({ queryKey: ['suggestions'] }),
    ]);
}

/** The quickest way in: a plain description. With the Solo Back-office agent on, it proposes the invoice to send; else a draft is saved. */
function Describe() {
  const { t } = useTranslation('invoices');
  const [text, setText] = useState('');
  const [done, setDone] = useState<'agent' | 'draft' | null>(null);
  const changed = useInvoicesChanged();
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => api(listAgents) });
  const agent = agents.data?.items.find((a) => a.packId === 'solo-backoffice' && a.key === 'invoicing' && a.enabled);
  const m = useMutation({
    mutationFn: async () => {
      if (agent) {
        await api(runAgentNow, { params: { agentId: agent.id }, body: { input: { text: text.trim() } } });
        return 'agent' as const;
      }
      await api(draftInvoiceFromText, { body: { text: text.trim() } });
      return 'draft' as const;
    },
    onSuccess: (how) => {
      setDone(how);
      setText('');
      return changed();
    },
  });
  return (
    <Card title={t('describeTitle')}>
      <form
        className="stack"
        noValidate
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (text.trim()) m.mutate();
        }}
      >
        <TextArea
          label={t('describeLabel')}
          hint={t('describeHint')}
          value={text}
          rows={2}
          maxLength={2000}
          dir="auto"
          onChange={(e) => {
            setText(e.target.value);
            setDone(null);
          }}
        />
        {m.isError ? <ErrorNotice error={m.error} /> : null}
        {done === 'agent' ? (
          <Alert tone="ok">
            {t('describedAgent')} <Link to="/suggestions">{t('openInbox')}</Link>
          </Alert>
        ) : null}
        {done === 'draft' ? <Alert tone="ok">{t('describedDraft')}</Alert> : null}
        <div className="row">
          <Button type="submit" variant="primary" busy={m.isPending} disabled={!text.trim()}>
            {agent ? t('describeAgent') : t('describeDraft')}
          </Button>
          {!agent && agents.data ? (
            <span className="small muted">
              {t('describeNoAgent')} <Link to="/packs/solo-backoffice">{t('seePack')}</Link>
            </span>
          ) : null}
        </div>
      </form>
    </Card>
  );
}

interface LineDraft {
  description: string;
  quantity: string;
  price: string;
}

function NewInvoice({ currency: defaultCurrency }: { currency: string }) {
  const { t } = useTranslation('invoices');
  const session = useShellSession();
  const family = session.activeSpace.kind === 'family';
  const [client, setClient] = useState({ name: '', email: '' });
  const [currency, setCurrency] = useState(defaultCurrency);
  const [lines, setLines] = useState<LineDraft[]>([{ description: '', quantity: '1', price: '' }]);
  const [tax, setTax] = useState('');
  const [discount, setDiscount] = useState('');
  const [due, setDue] = useState('');
  const [language, setLanguage] = useState<'en' | 'he'>(session.account.locale === 'he' ? 'he' : 'en');
  const [visibility, setVisibility] = useState<'shared' | 'private'>('shared');
  const [problem, setProblem] = useState('');
  const changed = useInvoicesChanged();
  const m = useMutation({
    mutationFn: (body: CreateInvoiceInput) => api(createClientInvoice, { body }),
    onSuccess: () => {
      setClient({ name: '', email: '' });
      setLines([{ description: '', quantity: '1', price: '' }]);
      return changed();
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = lines
      .filter((l) => l.description.trim())
      .map((l) => ({ description: l.description.trim(), quantity: l.quantity.trim() || '1', unitPrice: parseMoney(l.price, currency) }));
    if (!client.name.trim()) return setProblem(t('clientRequired'));
    if (!parsed.length) return setProblem(t('lineRequired'));
    if (parsed.some((l) => l.unitPrice === null)) return setProblem(t('priceInvalid', { currency }));
    setProblem('');
    m.mutate({
      clientName: client.name.trim(),
      clientEmail: client.email.trim(),
      currency,
      lines: parsed.map((l) => ({ ...l, unitPrice: l.unitPrice! })),
      taxRate: tax ? Number(tax) : undefined,
      discountRate: discount ? Number(discount) : undefined,
      dueDate: due || undefined,
      language,
      ...(family ? { visibility } : {}),
    });
  };
  return (
    <details className="card">
      <summary>{t('newTitle')}</summary>
      <form className="stack" noValidate onSubmit={submit} style={{ marginBlockStart: 'var(--space-3)' }}>
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField
            label={t('clientName')}
            value={client.name}
            dir="auto"
            maxLength={200}
            error={errors.clientName}
            onChange={(e) => setClient({ ...client, name: e.target.value })}
          />
          <TextField
            label={t('clientEmail')}
            type="email"
            dir="ltr"
            value={client.email}
            error={errors.clientEmail}
            onChange={(e) => setClient({ ...client, email: e.target.value })}
          />
          <SelectField label={t('currency')} value={currency} onChange={(e) => setCurrency(e.target.value)}>
            {CURRENCIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </SelectField>
        </div>
        <fieldset className="stack">
          <legend>{t('lines')}</legend>
          {lines.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity until saved
            <div key={i} className="toolbar" style={{ margin: 0 }}>
              <TextField
                label={t('lineDescription')}
                value={l.description}
                dir="auto"
                maxLength={500}
                onChange={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, description: e.target.value } : x)))}
              />
              <TextField
                label={t('quantity')}
                inputMode="decimal"
                value={l.quantity}
                dir="ltr"
                onChange={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, quantity: e.target.value } : x)))}
              />
              <TextField
                label={t('unitPrice', { currency })}
                inputMode="decimal"
                value={l.price}
                dir="ltr"
                onChange={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, price: e.target.value } : x)))}
              />
            </div>
          ))}
          <div>
            <Button size="small" onClick={() => setLines([...lines, { description: '', quantity: '1', price: '' }])}>
              {t('addLine')}
            </Button>
          </div>
        </fieldset>
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField label={t('taxRate')} inputMode="decimal" value={tax} dir="ltr" onChange={(e) => setTax(e.target.value)} />
          <TextField
            label={t('discountRate')}
            inputMode="decimal"
            value={discount}
            dir="ltr"
            onChange={(e) => setDiscount(e.target.value)}
          />
          <TextField label={t('dueDate')} type="date" value={due} onChange={(e) => setDue(e.target.value)} />
          <SelectField label={t('language')} value={language} onChange={(e) => setLanguage(e.target.value as 'en' | 'he')}>
            <option value="en">English</option>
            <option value="he">עברית</option>
          </SelectField>
          {family ? (
            <SelectField label={t('visibility')} value={visibility} onChange={(e) => setVisibility(e.target.value as 'shared' | 'private')}>
              <option value="shared">{t('shared')}</option>
              <option value="private">{t('private')}</option>
            </SelectField>
          ) : null}
        </div>
        {problem ? <Alert tone="error">{problem}</Alert> : null}
        {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
        <div>
          <Button type="submit" variant="primary" busy={m.isPending}>
            {t('saveDraft')}
          </Button>
        </div>
      </form>
    </details>
  );
}

function Profile() {
  const { t } = useTranslation('invoices');
  const qc = useQueryClient();
  const q = useQuery({ staleTime: 0, queryKey: ['invoices', 'profile'], queryFn: () => api(getInvoiceProfile) });
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const m = useMutation({
    mutationFn: (d: Record<string, string>) =>
      api(updateInvoiceProfile, {
        body: {
          businessName: d.businessName ?? '',
          details: d.details ?? '',
          email: d.email ?? '',
          currency: d.currency ?? 'USD',
          taxRate: Number(d.taxRate || 0),
          paymentDays: Number(d.paymentDays || 14),
          language: (d.language as 'en' | 'he') ?? 'en',
        },
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['invoices'] }),
  });
  if (!q.data) return q.isError ? <ErrorNotice error={q.error} /> : null;
  const p = q.data;
  const d = draft ?? {
    businessName: p.businessName,
    details: p.details,
    email: p.email,
    currency: p.currency,
    taxRate: String(p.taxRate),
    paymentDays: String(p.paymentDays),
    language: p.language,
  };
  const set = (k: string, v: string) => setDraft({ ...d, [k]: v });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  return (
    <details className="card">
      <summary>{t('profileTitle')}</summary>
      <form
        className="stack"
        noValidate
        style={{ marginBlockStart: 'var(--space-3)' }}
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate(d);
        }}
      >
        <p className="muted small">{t('profileLead')}</p>
        <TextField
          label={t('businessName')}
          value={d.businessName}
          dir="auto"
          maxLength={200}
          onChange={(e) => set('businessName', e.target.value)}
        />
        <TextArea
          label={t('businessDetails')}
          hint={t('businessDetailsHint')}
          rows={3}
          value={d.details}
          dir="auto"
          onChange={(e) => set('details', e.target.value)}
        />
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField
            label={t('businessEmail')}
            type="email"
            dir="ltr"
            value={d.email}
            error={errors.email}
            onChange={(e) => set('email', e.target.value)}
          />
          <SelectField label={t('currency')} value={d.currency} onChange={(e) => set('currency', e.target.value)}>
            {CURRENCIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('taxRate')}
            inputMode="decimal"
            dir="ltr"
            value={d.taxRate}
            error={errors.taxRate}
            onChange={(e) => set('taxRate', e.target.value)}
          />
          <TextField
            label={t('paymentDays')}
            inputMode="numeric"
            dir="ltr"
            value={d.paymentDays}
            error={errors.paymentDays}
            onChange={(e) => set('paymentDays', e.target.value)}
          />
          <SelectField label={t('language')} value={d.language} onChange={(e) => set('language', e.target.value)}>
            <option value="en">English</option>
            <option value="he">עברית</option>
          </SelectField>
        </div>
        {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
        {m.isSuccess && !draft ? <Alert tone="ok">{t('profileSaved')}</Alert> : null}
        <div>
          <Button type="submit" variant="primary" busy={m.isPending} onClick={() => setDraft(null)}>
            {t('save', { ns: 'common' })}
          </Button>
        </div>
      </form>
    </details>
  );
}

function InvoiceItem({ inv }: { inv: InvoiceView }) {
  const { t, i18n } = useTranslation('invoices');
  const changed = useInvoicesChanged();
  const [email, setEmail] = useState(inv.clientEmail);
  const act = useMutation({
    mutationFn: async (what: 'send' | 'issue' | 'paid' | 'delete' | 'email') => {
      if (what === 'send') await api(sendClientInvoice, { params: { invoiceId: inv.id }, body: {} });
      if (what === 'issue') await api(issueClientInvoice, { params: { invoiceId: inv.id } });
      if (what === 'paid') await api(markClientInvoicePaid, { params: { invoiceId: inv.id } });
      if (what === 'delete') await api(deleteClientInvoice, { params: { invoiceId: inv.id } });
      if (what === 'email') await api(updateClientInvoice, { params: { invoiceId: inv.id }, body: { clientEmail: email.trim() } });
    },
    onSuccess: () => changed(),
  });
  const money = (n: number) => formatMoney(n, inv.currency, i18n.language);
  const name = inv.reference ?? t('draft');
  return (
    <li className="card stack" style={{ gap: 'var(--space-2)' }}>
      <div className="item-row">
        <strong dir="auto">
          {name} · {bidi(inv.clientName, i18n.language)}
        </strong>
        <span className="title">{money(inv.total)}</span>
      </div>
      <p className="meta">
        <Badge tone={TONES[inv.status]}>{t(`status.${inv.status}`)}</Badge>
        {inv.createdByAgent ? <Badge tone="info">{t('byAgent')}</Badge> : null}
        {inv.issueDate ? <span>{t('issuedOn', { date: inv.issueDate })}</span> : null}
        {inv.dueDate ? <span className={inv.status === 'overdue' ? 'overdue' : undefined}>{t('dueOn', { date: inv.dueDate })}</span> : null}
        {inv.sentTo ? <span dir="auto">{t('sentTo', { to: inv.sentTo })}</span> : null}
      </p>
      <ul className="small" style={{ margin: 0, paddingInlineStart: '1.2em' }}>
        {inv.lines.map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are in order and never reordered
          <li key={i} dir="auto">
            {l.description}: {l.quantity} × {money(l.unitPrice)} = {money(l.amount)}
          </li>
        ))}
      </ul>
      {inv.status === 'draft' && !inv.clientEmail ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (email.trim()) act.mutate('email');
          }}
        >
          <TextField label={t('clientEmailToSend')} type="email" dir="ltr" value={email} onChange={(e) => setEmail(e.target.value)} />
          <Button type="submit" size="small" busy={act.isPending}>
            {t('save', { ns: 'common' })}
          </Button>
        </form>
      ) : null}
      <div className="row">
        <a className="button small" href={inv.pdfUrl} target="_blank" rel="noreferrer">
          {t('pdf')}
          <span className="visually-hidden">: {name}</span>
        </a>
        {(inv.status === 'draft' || !inv.sentAt) && inv.clientEmail ? (
          <Button size="small" variant="primary" busy={act.isPending} onClick={() => act.mutate('send')}>
            {t('send', { to: inv.clientEmail })}
          </Button>
        ) : null}
        {inv.status === 'draft' ? (
          <Button size="small" busy={act.isPending} onClick={() => act.mutate('issue')}>
            {t('issue')}
          </Button>
        ) : null}
        {inv.status === 'sent' || inv.status === 'overdue' ? (
          <Button size="small" busy={act.isPending} onClick={() => act.mutate('paid')}>
            {t('markPaid')}
          </Button>
        ) : null}
        {inv.status === 'draft' && inv.number === null ? (
          <ConfirmButton
            size="small"
            question={t('deleteQuestion')}
            confirmLabel={t('deleteYes')}
            cancelLabel={t('cancel', { ns: 'common' })}
            busy={act.isPending}
            onConfirm={() => act.mutate('delete')}
          >
            {t('delete')}
          </ConfirmButton>
        ) : null}
      </div>
      {act.isError ? <ErrorNotice error={act.error} /> : null}
    </li>
  );
}

export function InvoicesPage() {
  const { t } = useTranslation('invoices');
  const session = useShellSession();
  const q = useQuery({ staleTime: 0, queryKey: ['invoices', 'list'], queryFn: () => api(listClientInvoices, { query: { limit: 200 } }) });
  const profile = useQuery({
    queryKey: ['invoices', 'profile'],
    queryFn: () => api(getInvoiceProfile),
    enabled: session.activeSpace.role !== 'child',
  });
  if (session.activeSpace.role === 'child')
    return (
      <>
        <PageHeader title={t('title')} />
        <EmptyState title={t('childTitle')}>{t('childHint')}</EmptyState>
      </>
    );
  const items = q.data?.items ?? [];
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <Describe />
        <NewInvoice key={profile.data?.currency ?? 'x'} currency={profile.data?.currency ?? 'USD'} />
        <Profile />
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && !items.length ? <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState> : null}
        {items.length ? (
          <ul className="items" aria-label={t('listLabel')}>
            {items.map((inv) => (
              <InvoiceItem key={inv.id} inv={inv} />
            ))}
          </ul>
        ) : null}
        {items.length ? <p className="small muted">{t('keptNote')}</p> : null}
      </div>
    </>
  );
}
