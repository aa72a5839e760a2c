import type { BillingAction, BillingOverview, Quote } from '@csme/contracts/billing';
import { checkout, getBilling, listInvoices, openPortal, syncBilling } from '@csme/contracts/billing';
import type { PlanView, UsageView } from '@csme/contracts/plans';
import { getUsage, listPlans } from '@csme/contracts/plans';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Button, Card, Meter, PageHeader, ScrollRegion, Spinner } from '../../ui';
import { ChangeSummary, type CheckoutOutcome } from './ChangeSummary';
import { formatMoney } from './money';

const LIMIT_ROWS = ['packs', 'agents', 'runsPerMonth', 'connectors', 'historyDays', 'queuePriority', 'members', 'publish'] as const;
const RANK: Record<string, number> = { free: 0, pro: 1, family: 2 };
type Interval = 'month' | 'year';

function limitText(t: TFunction<'plans'>, plan: PlanView, key: (typeof LIMIT_ROWS)[number], lang: string): string {
  const v = plan.limits[key];
  if (v === undefined) return t('no');
  if (key === 'connectors') return t(`connectors.${v}`);
  if (key === 'queuePriority') return t(`priority.${v}`);
  if (key === 'historyDays') return t('days', { count: v as number });
  if (key === 'publish') return v ? t('yes') : t('no');
  return (v as number).toLocaleString(lang);
}

const fmtDate = (iso: string, lang: string) => new Date(iso).toLocaleDateString(lang, { dateStyle: 'long' });

interface Notice {
  tone: 'ok' | 'info';
  key: string;
  number?: string;
  amount?: { minor: number; currency: string };
  date?: string;
  pdf?: string;
}

interface Pending {
  action: BillingAction;
  title: string;
}

/** What the person can do from a plan card, given their current plan (null: nothing, it is theirs). */
function planAction(t: TFunction<'plans'>, b: BillingOverview, p: PlanView, interval: Interval, currency: 'USD' | 'ILS'): Pending | null {
  const cur = b.subscription;
  const curInterval = cur.interval ?? 'month';
  if (p.id === 'free') {
    if (cur.planId === 'free' || cur.cancelAtPeriodEnd || cur.scheduledChange?.kind === 'cancel') return null;
    return { action: { action: 'cancel' }, title: t('action.downgrade', { plan: p.name }) };
  }
  if (b.spaceKind === 'family' && p.id === 'pro' && cur.planId !== 'family') return null;
  if (cur.planId === p.id) {
    if (curInterval === interval) return null;
    return {
      action: { action: 'change_plan', planId: p.id, interval },
      title: interval === 'year' ? t('action.toYearly') : t('action.toMonthly'),
    };
  }
  const body: BillingAction = { action: 'change_plan', planId: p.id, interval, currency };
  if (cur.planId === 'free') return { action: body, title: t('action.choose', { plan: p.name }) };
  return {
    action: body,
    title: (RANK[p.id] ?? 0) > (RANK[cur.planId] ?? 0) ? t('action.upgrade', { plan: p.name }) : t('action.downgrade', { plan: p.name }),
  };
}

function CurrentPlan({ usage, billing, onKeep, busy }: { usage: UsageView; billing?: BillingOverview; onKeep: () => void; busy: boolean }) {
  const { t, i18n } = useTranslation('plans');
  const session = useShellSession();
  const lang = i18n.language;
  const sub = billing?.subscription;
  const over = usage.meters.filter((m) => m.limit !== null && m.key !== 'runs' && m.used > m.limit);
  return (
    <Card title={t('currentPlan', { plan: usage.plan.name })}>
      {sub ? (
        <p className="row">
          <span className={`badge ${sub.status === 'past_due' ? 'danger' : sub.status === 'trialing' ? 'warn' : 'ok'}`}>
            {t(`status.${sub.status}`)}
          </span>
          {sub.interval ? <span>{t(`interval.${sub.interval}`)}</span> : null}
          {sub.price !== null && sub.currency ? (
            <span>
              {formatMoney(sub.price, sub.currency, lang)} {sub.interval === 'year' ? t('perYear') : t('perMonth')}
            </span>
          ) : null}
        </p>
      ) : null}
      {sub?.status === 'trialing' && sub.trialEnd ? <p>{t('trialEnds', { date: fmtDate(sub.trialEnd, lang) })}</p> : null}
      {sub && !sub.scheduledChange && !sub.cancelAtPeriodEnd && sub.periodEnd && sub.status !== 'trialing' ? (
        <p>{t('renews', { date: fmtDate(sub.periodEnd, lang) })}</p>
      ) : null}
      {!usage.subscription.currentPeriodEnd ? <p className="muted small">{t('freeForever')}</p> : null}
      {sub?.scheduledChange ? (
        <Alert tone="warn">
          {t(`scheduled.${sub.scheduledChange.kind}`, {
            plan: sub.planName,
            to: sub.scheduledChange.to
              ? `${sub.scheduledChange.to.planName}${sub.scheduledChange.to.interval ? ` (${t(`interval.${sub.scheduledChange.to.interval}`)})` : ''}`
              : t('free'),
            date: fmtDate(sub.scheduledChange.effectiveAt, lang),
          })}{' '}
          {sub.scheduledChange.kind !== 'version_migration' ? (
            <Button size="small" busy={busy} onClick={onKeep}>
              {t('keepPlan', { plan: sub.planName })}
            </Button>
          ) : null}
        </Alert>
      ) : null}
      {sub?.status === 'past_due' && sub.graceEndsAt && !sub.restricted ? (
        <Alert tone="error">{t('pastDue', { plan: sub.planName, date: fmtDate(sub.graceEndsAt, lang) })}</Alert>
      ) : null}
      {sub?.restricted ? <Alert tone="error">{t('restricted')}</Alert> : null}
      {billing?.nextInvoice ? (
        <p>
          {t('nextInvoice', {
            amount: formatMoney(billing.nextInvoice.total, billing.nextInvoice.currency, lang),
            date: fmtDate(billing.nextInvoice.date, lang),
            what: billing.nextInvoice.description,
          })}
          {billing.nextInvoice.tax
            ? ` · ${t('nextInvoiceTax', { tax: formatMoney(billing.nextInvoice.tax, billing.nextInvoice.currency, lang) })}`
            : ''}
        </p>
      ) : null}
      <h3>{t('usageTitle', { space: session.activeSpace.name })}</h3>
      <div className="grid">
        {usage.meters
          .filter((m) => m.key !== 'members' || session.activeSpace.kind === 'family')
          .map((m) => (
            <Meter key={m.key} label={t(`usage.${m.key}`)} used={m.used} limit={m.limit} format={(n) => n.toLocaleString(lang)} />
          ))}
      </div>
      <p className="muted small">
        {t('period', { start: fmtDate(usage.quotaPeriod.start, lang), end: fmtDate(usage.quotaPeriod.end, lang) })}
      </p>
      {over.length ? (
        <Alert tone="warn" title={t('overLimitTitle')}>
          {over.map((m) => t('overLimit', { used: m.used, limit: m.limit, what: t(`nouns.${m.key}`) })).join(' ')}{' '}
          <Link to="/packs">{t('choosePacks')}</Link>
        </Alert>
      ) : null}
    </Card>
  );
}

function Invoices() {
  const { t, i18n } = useTranslation('plans');
  const lang = i18n.language;
  const q = useQuery({ queryKey: ['invoices'], queryFn: () => api(listInvoices, { query: { limit: 25 } }) });
  return (
    <Card title={t('invoicesTitle')}>
      {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {q.data && !q.data.items.length ? <p className="muted">{t('invoicesEmpty')}</p> : null}
      {q.data?.items.length ? (
        <ScrollRegion label={t('invoicesTitle')}>
          <table className="table">
            <caption className="visually-hidden">{t('invoicesTitle')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('invoiceCols.number')}</th>
                <th scope="col">{t('invoiceCols.date')}</th>
                <th scope="col">{t('invoiceCols.amount')}</th>
                <th scope="col">{t('invoiceCols.status')}</th>
                <th scope="col">{t('invoiceCols.documents')}</th>
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((i) => (
                <tr key={i.id}>
                  <td dir="ltr">{i.number}</td>
                  <td>{fmtDate(i.issuedAt, lang)}</td>
                  <td>{formatMoney(i.total, i.currency, lang)}</td>
                  <td>
                    <span className={`badge ${i.status === 'paid' ? 'ok' : i.status === 'open' ? 'warn' : ''}`}>
                      {t(`invoiceStatus.${i.status}`)}
                    </span>
                  </td>
                  <td>
                    <span className="row">
                      <a href={i.pdfUrl} download>
                        {t('pdf')}
                        <span className="visually-hidden"> {i.number}</span>
                      </a>
                      {i.receiptUrl ? (
                        <a href={i.receiptUrl} download>
                          {t('receipt')}
                          <span className="visually-hidden"> {i.number}</span>
                        </a>
                      ) : null}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </Card>
  );
}

export function PlansPage() {
  const { t, i18n } = useTranslation('plans');
  const lang = i18n.language;
  const session = useShellSession();
  const owner = session.activeSpace.role === 'owner';
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [interval, setInterval] = useState<Interval>('month');
  const [currencyChoice, setCurrency] = useState<'USD' | 'ILS'>(lang === 'he' ? 'ILS' : 'USD');
  const [pending, setPending] = useState<Pending | null>(null);
  const [country, setCountry] = useState('');
  // Kept as a message key and raw values, so it reads right after a change of language.
  const [notice, setNotice] = useState<Notice | null>(null);
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api(listPlans) });
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api(getUsage) });
  const billing = useQuery({ queryKey: ['billing'], queryFn: () => api(getBilling), enabled: owner });
  const b = billing.data;
  const currency: 'USD' | 'ILS' = b?.subscription.currency ?? currencyChoice;
  const noticeRef = useRef<HTMLDivElement>(null);

  const refresh = async () => {
    await Promise.all(['billing', 'usage', 'invoices', 'session'].map((k) => queryClient.invalidateQueries({ queryKey: [k] })));
  };
  const keep = useMutation({
    mutationFn: () => api(checkout, { body: { action: 'resume' } }),
    onSuccess: () => refresh(),
  });
  const portal = useMutation({ mutationFn: () => api(openPortal, { body: {} }), onSuccess: (r) => window.location.assign(r.url) });

  useEffect(() => {
    if (b?.profile.country && !country) setCountry(b.profile.country);
  }, [b?.profile.country, country]);

  // Links from elsewhere: a refusal's offer (?upgrade=pro, ?extraRuns=1) and the return from Stripe Checkout.
  const handled = useRef(false);
  useEffect(() => {
    if (!b || !plans.data || handled.current) return;
    handled.current = true;
    const upgrade = params.get('upgrade');
    const target = plans.data.plans.find((p) => p.id === upgrade && p.kind === 'base');
    if (target) {
      const a = planAction(t, b, target, interval, currency);
      if (a) setPending(a);
    } else if (params.get('extraRuns')) {
      setPending({ action: { action: 'extra_runs', packs: 1, currency }, title: t('extraBuy') });
    }
    const status = params.get('checkout');
    if (status === 'canceled') setNotice({ tone: 'info', key: 'result.checkoutCanceled' });
    if (status === 'success') {
      const sessionId = params.get('session_id') ?? undefined;
      void api(syncBilling, { body: { sessionId } })
        .then(() => refresh())
        .then(() => setNotice({ tone: 'ok', key: 'result.checkoutDone' }))
        .catch(() => setNotice({ tone: 'info', key: 'result.checkoutDone' }));
    }
    if (upgrade || params.get('extraRuns') || status) setParams({}, { replace: true });
  });

  const done = async (r: CheckoutOutcome, _q: Quote) => {
    if (r.status === 'redirect') {
      setNotice({ tone: 'info', key: 'result.redirect' });
      window.location.assign(r.url);
      return;
    }
    setPending(null);
    if (r.status === 'invoice_open')
      setNotice({
        tone: 'ok',
        key: 'result.invoice',
        number: r.invoice.number,
        amount: { minor: r.invoice.total, currency: r.invoice.currency },
        pdf: r.invoice.pdfUrl,
      });
    else if (r.status === 'scheduled') setNotice({ tone: 'ok', key: 'result.scheduled', date: r.effectiveAt });
    else setNotice({ tone: 'ok', key: 'result.applied' });
    await refresh();
    noticeRef.current?.focus();
  };

  const all = plans.data?.plans ?? [];
  const base = all.filter((p) => p.kind === 'base');
  const creator = all.find((p) => p.id === 'creator');
  const price = (p: PlanView, iv: Interval = interval) => {
    const pr = p.prices.find((x) => x.currency === currency && x.interval === iv);
    if (!pr) return t('free');
    return `${formatMoney(pr.amount, currency, lang)} ${iv === 'month' ? t('perMonth') : t('perYear')}`;
  };
  const addon = b?.addons.find((a) => a.planId === 'creator');
  const extraPrice = b?.extraRuns.prices.find((p) => p.currency === currency);

  const summary = pending ? (
    <ChangeSummary
      key={JSON.stringify(pending.action)}
      action={pending.action}
      title={pending.title}
      provider={b?.provider ?? 'offline'}
      country={country}
      onCountry={setCountry}
      onDone={done}
      onClose={() => setPending(null)}
    />
  ) : null;

  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        {notice ? (
          <div ref={noticeRef} tabIndex={-1}>
            <Alert tone={notice.tone}>
              {t(notice.key, {
                number: notice.number,
                amount: notice.amount ? formatMoney(notice.amount.minor, notice.amount.currency, lang) : '',
                date: notice.date ? fmtDate(notice.date, lang) : '',
              })}{' '}
              {notice.pdf ? (
                <a href={notice.pdf} download>
                  {t('pdf')}
                </a>
              ) : null}
            </Alert>
          </div>
        ) : null}
        {!owner ? <Alert>{t('ownerOnly')}</Alert> : null}
        {usage.data ? <CurrentPlan usage={usage.data} billing={b} onKeep={() => keep.mutate()} busy={keep.isPending} /> : null}
        {usage.isError ? <ErrorNotice error={usage.error} onRetry={() => usage.refetch()} /> : null}
        {billing.isError ? <ErrorNotice error={billing.error} onRetry={() => billing.refetch()} /> : null}
        {keep.isError ? <ErrorNotice error={keep.error} /> : null}
        {b?.openInvoices.map((i) => (
          <Alert key={i.id} tone="warn">
            {t('openInvoice', { number: i.number, amount: formatMoney(i.total, i.currency, lang), date: fmtDate(i.issuedAt, lang) })}{' '}
            <a href={i.pdfUrl} download>
              {t('pdf')}
            </a>
          </Alert>
        ))}

        <fieldset className="segmented">
          <legend>{t('billing')}</legend>
          {(['month', 'year'] as const).map((iv) => (
            <label key={iv}>
              <input type="radio" name="interval" value={iv} checked={interval === iv} onChange={() => setInterval(iv)} />
              <span>{iv === 'month' ? t('monthly') : t('yearly')}</span>
            </label>
          ))}
        </fieldset>
        {!b || b.subscription.currency === null ? (
          <label className="field compact-field">
            <span>{t('currency')}</span>
            <select value={currencyChoice} onChange={(e) => setCurrency(e.target.value as 'USD' | 'ILS')}>
              <option value="USD">USD $</option>
              <option value="ILS">ILS ₪</option>
            </select>
          </label>
        ) : null}

        {plans.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {plans.isError ? <ErrorNotice error={plans.error} onRetry={() => plans.refetch()} /> : null}
        {base.length ? (
          <div className="grid plan-cards">
            {base.map((p) => {
              const isCurrent =
                usage.data?.plan.id === p.id && (p.id === 'free' || (usage.data?.subscription.interval ?? 'month') === interval);
              const a = b ? planAction(t, b, p, interval, currency) : null;
              return (
                <Card key={p.id} as="article" title={p.name} className={isCurrent ? 'current-plan' : undefined}>
                  <p className="price">{price(p)}</p>
                  <p className="muted small">
                    {t('cardLimits', {
                      packs: (p.limits.packs ?? 0).toLocaleString(lang),
                      agents: (p.limits.agents ?? 0).toLocaleString(lang),
                      runs: (p.limits.runsPerMonth ?? 0).toLocaleString(lang),
                    })}
                  </p>
                  {isCurrent ? <span className="badge ok">{t('current')}</span> : null}
                  {owner && a ? (
                    <Button
                      variant={(RANK[p.id] ?? 0) > (RANK[b?.subscription.planId ?? 'free'] ?? 0) ? 'primary' : undefined}
                      onClick={() => setPending(a)}
                    >
                      {a.title}
                    </Button>
                  ) : null}
                </Card>
              );
            })}
          </div>
        ) : null}
        {pending && pending.action.action !== 'extra_runs' && !pending.action.action.startsWith('addon') ? summary : null}

        {base.length ? (
          <ScrollRegion label={t('compare')} className="card">
            <table className="table">
              <caption className="visually-hidden">{t('compare')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('feature')}</th>
                  {base.map((p) => (
                    <th scope="col" key={p.id}>
                      <div>{p.name}</div>
                      <div className="muted small">{price(p)}</div>
                      {usage.data?.plan.id === p.id ? <span className="badge ok">{t('current')}</span> : null}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {LIMIT_ROWS.filter((k) => k !== 'publish').map((k) => (
                  <tr key={k}>
                    <th scope="row">{t(`limits.${k}`)}</th>
                    {base.map((p) => (
                      <td key={p.id}>{limitText(t, p, k, lang)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        ) : null}

        {owner && b && extraPrice ? (
          <Card title={t('extraTitle')}>
            <p>{t('extraLead', { runs: b.extraRuns.runs.toLocaleString(lang), amount: formatMoney(extraPrice.amount, currency, lang) })}</p>
            <div>
              <Button onClick={() => setPending({ action: { action: 'extra_runs', packs: 1, currency }, title: t('extraBuy') })}>
                {t('extraBuy')}
              </Button>
            </div>
          </Card>
        ) : null}
        {pending?.action.action === 'extra_runs' ? summary : null}

        {creator ? (
          <Card title={t('creatorTitle')}>
            <p>
              <strong>+{price(creator)}</strong> <span className="muted">— {t('creatorLead')}</span>
            </p>
            {addon?.periodEnd && addon.interval ? (
              <p>{t('creatorActive', { interval: t(`interval.${addon.interval}`), date: fmtDate(addon.periodEnd, lang) })}</p>
            ) : null}
            {owner && b ? (
              <div className="row">
                {!addon ? (
                  <Button
                    onClick={() =>
                      setPending({ action: { action: 'addon', interval, currency }, title: t('creatorBuy', { price: price(creator) }) })
                    }
                  >
                    {t('creatorBuy', { price: price(creator) })}
                  </Button>
                ) : null}
                {addon && addon.interval === 'month' && interval === 'year' ? (
                  <Button onClick={() => setPending({ action: { action: 'addon', interval: 'year' }, title: t('creatorToYearly') })}>
                    {t('creatorToYearly')}
                  </Button>
                ) : null}
                {addon && !addon.scheduledChange ? (
                  <Button onClick={() => setPending({ action: { action: 'addon_cancel' }, title: t('creatorCancel') })}>
                    {t('creatorCancel')}
                  </Button>
                ) : null}
                {addon?.scheduledChange ? (
                  <Button onClick={() => setPending({ action: { action: 'addon_resume' }, title: t('creatorKeep') })}>
                    {t('creatorKeep')}
                  </Button>
                ) : null}
              </div>
            ) : null}
          </Card>
        ) : null}
        {pending?.action.action.startsWith('addon') ? summary : null}

        {owner && b?.portal ? (
          <div>
            <Button busy={portal.isPending} onClick={() => portal.mutate()}>
              {t('portal')}
            </Button>
            {portal.isError ? <ErrorNotice error={portal.error} /> : null}
          </div>
        ) : null}
        {owner ? <Invoices /> : null}
      </div>
    </>
  );
}
