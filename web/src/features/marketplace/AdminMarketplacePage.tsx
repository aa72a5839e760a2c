import {
  type AdminSubmissionView,
  adminApproveSubmission,
  adminListPayouts,
  adminListSales,
  adminListSubmissions,
  adminMarkPayoutPaid,
  adminRefund,
  adminRejectSubmission,
  adminRunPayouts,
} from '@csme/contracts/marketplace';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, EmptyState, PageHeader, Spinner, TextArea, TextField } from '../../ui';
import { formatMoney } from '../plans/money';

const lastMonth = () => {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
};

/** Operators: the review queue, refunds, and the monthly payouts. */
export function AdminMarketplacePage() {
  const { t } = useTranslation('marketplace');
  return (
    <>
      <PageHeader title={t('admin.title')} description={t('admin.lead')} />
      <div className="stack">
        <Queue />
        <Sales />
        <Payouts />
      </div>
    </>
  );
}

function Queue() {
  const { t } = useTranslation('marketplace');
  const q = useQuery({ queryKey: ['admin-submissions'], queryFn: () => api(adminListSubmissions, { query: { status: 'pending' } }) });
  const [done, setDone] = useState<string | null>(null);
  return (
    <section className="stack" aria-labelledby="queue-title">
      <h2 id="queue-title">{t('admin.queue')}</h2>
      {done ? <Alert tone="ok">{done}</Alert> : null}
      {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {q.isSuccess && !q.data.items.length ? <EmptyState title={t('admin.empty')}>{t('admin.lead')}</EmptyState> : null}
      {q.data?.items.map((s) => (
        <Submission key={s.id} s={s} onDone={setDone} />
      ))}
    </section>
  );
}

function Submission({ s, onDone }: { s: AdminSubmissionView; onDone: (m: string) => void }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [reasons, setReasons] = useState('');
  const act = useMutation({
    mutationFn: (kind: 'approve' | 'reject') =>
      kind === 'approve'
        ? api(adminApproveSubmission, { params: { submissionId: s.id } })
        : api(adminRejectSubmission, { params: { submissionId: s.id }, body: { reasons } }),
    onSuccess: async (r, kind) => {
      onDone(t(kind === 'approve' ? 'admin.approved' : 'admin.rejected', { pack: r.packId, version: r.version }));
      await qc.invalidateQueries({ queryKey: ['admin-submissions'] });
    },
  });
  return (
    <Card
      as="article"
      title={
        <>
          {s.title} <span className="muted">{`${s.packId} ${s.version}`}</span>
        </>
      }
    >
      <p className="small">
        {s.origin === 'import' ? t('admin.imported') : t('admin.by', { name: s.creator ?? '' })} ·{' '}
        {s.previousVersion ? `← ${s.previousVersion}` : t('admin.firstVersion')}
        {s.addedScopes.length ? ` · ${t('admin.newScopes', { scopes: s.addedScopes.join(', ') })}` : ''}
      </p>
      <p>{s.description}</p>
      {s.changelog ? <p className="muted">{s.changelog}</p> : null}
      <ul className="small">
        {s.checks.map((c) => (
          <li key={c.check}>
            <span aria-hidden="true">{c.ok ? '✓ ' : '✗ '}</span>
            {c.message}
          </li>
        ))}
      </ul>
      <details>
        <summary>{t('admin.steps')}</summary>
        <ul className="small">
          {s.agents.map((a) => (
            <li key={a.key}>
              <strong>{a.name}</strong>: {a.steps.join('; ')}
            </li>
          ))}
        </ul>
      </details>
      <details>
        <summary>{t('admin.files')}</summary>
        <ul className="small">
          {s.files.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code> ({f.bytes} B)
            </li>
          ))}
        </ul>
      </details>
      <TextArea label={t('admin.reasons')} value={reasons} maxLength={2000} onChange={(e) => setReasons(e.target.value)} />
      {act.isError ? <ErrorNotice error={act.error} /> : null}
      <div className="row">
        <Button variant="primary" busy={act.isPending && act.variables === 'approve'} onClick={() => act.mutate('approve')}>
          {t('admin.approve')}
          <span className="visually-hidden"> {`${s.packId} ${s.version}`}</span>
        </Button>
        <Button
          variant="danger"
          disabled={reasons.trim().length < 3}
          busy={act.isPending && act.variables === 'reject'}
          onClick={() => act.mutate('reject')}
        >
          {t('admin.reject')}
          <span className="visually-hidden"> {`${s.packId} ${s.version}`}</span>
        </Button>
      </div>
    </Card>
  );
}

function Sales() {
  const { t, i18n } = useTranslation('marketplace');
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['admin-sales'], queryFn: () => api(adminListSales, { query: {} }) });
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const refund = useMutation({
    mutationFn: (id: string) => api(adminRefund, { params: { entryId: id }, body: amounts[id] ? { amount: Number(amounts[id]) } : {} }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-sales'] }),
  });
  const money = (n: number, c: string) => formatMoney(n, c, i18n.language);
  return (
    <Card title={t('admin.sales')}>
      {q.isSuccess && !q.data.items.length ? <p>{t('admin.noSales')}</p> : null}
      {refund.isError ? <ErrorNotice error={refund.error} /> : null}
      {q.data?.items.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">{t('admin.sales')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('studio.cols.date')}</th>
                <th scope="col">{t('studio.cols.pack')}</th>
                <th scope="col">{t('studio.gross')}</th>
                <th scope="col">{t('studio.yourShare')}</th>
                <th scope="col">{t('studio.platform')}</th>
                <th scope="col">{t('admin.refund')}</th>
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((s) => (
                <tr key={s.id}>
                  <td>{new Date(s.occurredAt).toLocaleDateString(i18n.language)}</td>
                  <td>{s.packId}</td>
                  <td>{money(s.gross, s.currency)}</td>
                  <td>{money(s.creator, s.currency)}</td>
                  <td>{money(s.platform, s.currency)}</td>
                  <td>
                    {s.refunded ? <div className="small">{t('admin.refunded', { amount: money(s.refunded, s.currency) })}</div> : null}
                    {s.refunded < s.gross ? (
                      <div className="row">
                        <TextField
                          label={t('admin.refundAmount')}
                          inputMode="numeric"
                          value={amounts[s.id] ?? ''}
                          onChange={(e) => setAmounts({ ...amounts, [s.id]: e.target.value })}
                        />
                        <Button size="small" busy={refund.isPending && refund.variables === s.id} onClick={() => refund.mutate(s.id)}>
                          {t('admin.refund')}
                        </Button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Card>
  );
}

function Payouts() {
  const { t, i18n } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [period, setPeriod] = useState(lastMonth());
  const [reference, setReference] = useState('');
  const q = useQuery({
    queryKey: ['admin-payouts', period],
    queryFn: () => api(adminListPayouts, { query: { period } }),
    enabled: /^\d{4}-\d{2}$/.test(period),
  });
  const run = useMutation({
    mutationFn: () => api(adminRunPayouts, { body: { period } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-payouts'] }),
  });
  const paid = useMutation({
    mutationFn: (id: string) => api(adminMarkPayoutPaid, { params: { payoutId: id }, body: { reference } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-payouts'] }),
  });
  return (
    <Card title={t('admin.payouts')}>
      <div className="row">
        <TextField label={t('admin.period')} value={period} pattern="\d{4}-\d{2}" onChange={(e) => setPeriod(e.target.value)} />
        <Button busy={run.isPending} onClick={() => run.mutate()}>
          {t('admin.run')}
        </Button>
        <a href={`/api/v1/admin/marketplace/payouts.csv?period=${encodeURIComponent(period)}`} download>
          {t('admin.csv')}
        </a>
      </div>
      {run.isError ? <ErrorNotice error={run.error} /> : null}
      {paid.isError ? <ErrorNotice error={paid.error} /> : null}
      {q.isSuccess && !q.data.items.length ? <p>{t('admin.noPayouts')}</p> : null}
      {q.data?.items.length ? (
        <>
          <TextField label={t('admin.reference')} value={reference} onChange={(e) => setReference(e.target.value)} />
          <ul className="stack">
            {q.data.items.map((p) => (
              <li key={p.id} className="row">
                <span>
                  {p.creator}: {formatMoney(p.amount, p.currency, i18n.language)} ({p.entryCount})
                </span>
                {p.status === 'pending' ? (
                  <Button size="small" busy={paid.isPending && paid.variables === p.id} onClick={() => paid.mutate(p.id)}>
                    {t('admin.markPaid')}
                    <span className="visually-hidden"> {p.creator}</span>
                  </Button>
                ) : (
                  <span className="badge ok">{t('studio.paidOut')}</span>
                )}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Card>
  );
}
