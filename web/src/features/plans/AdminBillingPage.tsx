import type { AdminInvoiceView } from '@csme/contracts/billing';
import { adminListInvoices, adminPayInvoice, adminVoidInvoice } from '@csme/contracts/billing';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, EmptyState, MoreButton, PageHeader, ScrollRegion, SelectField, Spinner } from '../../ui';
import { formatMoney } from './money';

type Status = 'open' | 'paid' | 'void' | '';

/** Operators: every space's invoices; mark one paid when its payment arrives (it takes effect at once), or void it. */
export function AdminBillingPage() {
  const { t, i18n } = useTranslation('plans');
  const lang = i18n.language;
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('open');
  const [done, setDone] = useState<string | null>(null);
  const q = useInfiniteQuery({
    queryKey: ['admin-invoices', status],
    queryFn: ({ pageParam }) => api(adminListInvoices, { query: { status: status || undefined, limit: 50, cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const act = useMutation({
    mutationFn: async ({ invoice, kind }: { invoice: AdminInvoiceView; kind: 'pay' | 'void' }) =>
      api(kind === 'pay' ? adminPayInvoice : adminVoidInvoice, { params: { invoiceId: invoice.id }, body: {} }),
    onSuccess: async (inv, { kind }) => {
      setDone(kind === 'pay' ? t('admin.paid', { number: inv.number }) : t('admin.voided', { number: inv.number }));
      await queryClient.invalidateQueries({ queryKey: ['admin-invoices'] });
    },
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title={t('admin.title')} description={t('admin.lead')} />
      <div className="stack">
        <SelectField label={t('admin.filter')} value={status} onChange={(e) => setStatus(e.target.value as Status)}>
          <option value="open">{t('invoiceStatus.open')}</option>
          <option value="paid">{t('invoiceStatus.paid')}</option>
          <option value="void">{t('invoiceStatus.void')}</option>
          <option value="">{t('admin.all')}</option>
        </SelectField>
        {done ? <Alert tone="ok">{done}</Alert> : null}
        {act.isError ? <ErrorNotice error={act.error} /> : null}
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.isSuccess && !items.length ? <EmptyState title={t('admin.empty')}>{t('admin.lead')}</EmptyState> : null}
        {items.length ? (
          <ScrollRegion label={t('invoicesTitle')} className="card">
            <table className="table">
              <caption className="visually-hidden">{t('invoicesTitle')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('invoiceCols.number')}</th>
                  <th scope="col">{t('admin.space')}</th>
                  <th scope="col">{t('admin.buyer')}</th>
                  <th scope="col">{t('invoiceCols.amount')}</th>
                  <th scope="col">{t('invoiceCols.date')}</th>
                  <th scope="col">{t('invoiceCols.status')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((i) => (
                  <tr key={i.id}>
                    <td dir="ltr">{i.number}</td>
                    <td>{i.spaceName ?? t('admin.deletedSpace')}</td>
                    <td>
                      <div>{i.buyerName}</div>
                      <div className="muted small" dir="ltr">
                        {i.buyerEmail}
                      </div>
                    </td>
                    <td>
                      <div>{formatMoney(i.total, i.currency, lang)}</div>
                      <div className="muted small">{i.lines.map((l) => l.description).join('; ')}</div>
                    </td>
                    <td>{new Date(i.issuedAt).toLocaleDateString(lang, { dateStyle: 'medium' })}</td>
                    <td>
                      {i.status === 'open' ? (
                        <span className="row">
                          <Button
                            size="small"
                            variant="primary"
                            busy={act.isPending && act.variables?.invoice.id === i.id && act.variables.kind === 'pay'}
                            onClick={() => act.mutate({ invoice: i, kind: 'pay' })}
                          >
                            {t('admin.markPaid')}
                            <span className="visually-hidden"> {i.number}</span>
                          </Button>
                          <Button
                            size="small"
                            busy={act.isPending && act.variables?.invoice.id === i.id && act.variables.kind === 'void'}
                            onClick={() => act.mutate({ invoice: i, kind: 'void' })}
                          >
                            {t('admin.void')}
                            <span className="visually-hidden"> {i.number}</span>
                          </Button>
                        </span>
                      ) : (
                        <span className={`badge ${i.status === 'paid' ? 'ok' : ''}`}>{t(`invoiceStatus.${i.status}`)}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        ) : null}
        <MoreButton label={t('admin.more')} pages={q} />
      </div>
    </>
  );
}
