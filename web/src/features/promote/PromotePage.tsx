import { listInstallations } from '@csme/contracts/packs';
import { createPromotion, getIoOffer, listPromotions, type PromotionView, retryPromotion } from '@csme/contracts/promote';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, EmptyState, PageHeader, Spinner } from '../../ui';

const when = (iso: string, lang: string) =>
  new Date(iso).toLocaleString(lang === 'he' ? 'he-IL' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' });
const TONE: Record<PromotionView['state'], string> = { exported: '', queued: 'warn', sent: 'ok', failed: 'danger' };

/** The connectsoft.io offer: for more than 4 family members, or organisation features. The family work shows it for a fifth member. */
export function IoOfferCard({ reason }: { reason: 'members' | 'organisation' }) {
  const { t } = useTranslation('promote');
  const q = useQuery({ queryKey: ['io-offer', reason], queryFn: () => api(getIoOffer, { query: { reason } }) });
  if (!q.data?.enabled) return null;
  return (
    <Card title={t(`offer.${reason}.title`)}>
      <p>{t(`offer.${reason}.body`)}</p>
      <a href={q.data.url} target="_blank" rel="noopener noreferrer">
        {t('offer.link')}
      </a>
    </Card>
  );
}

/** "Promote to an organisational workflow": each installed pack, the promotions made and where sending them stands. */
export function PromotePage() {
  const { t, i18n } = useTranslation('promote');
  const lang = i18n.language;
  const qc = useQueryClient();
  const installs = useQuery({ queryKey: ['installations'], queryFn: () => api(listInstallations, { query: {} }) });
  const promotions = useQuery({
    queryKey: ['promotions'],
    queryFn: () => api(listPromotions),
    refetchInterval: (q) => (q.state.data?.items.some((p) => p.state === 'queued') ? 3000 : false),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: ['promotions'] });
  const promote = useMutation({
    mutationFn: (installationId: string) => api(createPromotion, { body: { installationId } }),
    onSuccess: refresh,
  });
  const retry = useMutation({
    mutationFn: (promotionId: string) => api(retryPromotion, { params: { promotionId }, body: {} }),
    onSuccess: refresh,
  });
  const p = promotions.data;
  const live = installs.data?.items.filter((i) => i.status !== 'uninstalled') ?? [];
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        {p && !p.enabled ? <Alert tone="info">{t('off')}</Alert> : null}
        {p?.enabled ? <Alert tone="info">{p.ioConfigured ? t('configured') : t('downloadOnly')}</Alert> : null}
        {promote.isError ? <ErrorNotice error={promote.error} /> : null}
        {retry.isError ? <ErrorNotice error={retry.error} /> : null}
        {promote.data ? <Alert tone="ok">{t(`created.${promote.data.state}`, { pack: promote.data.packName })}</Alert> : null}
        <Card title={t('installed')}>
          {installs.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
          {installs.isError ? <ErrorNotice error={installs.error} onRetry={() => installs.refetch()} /> : null}
          {installs.data && !live.length ? <EmptyState title={t('noPacks')}>{t('noPacksHint')}</EmptyState> : null}
          {live.length ? (
            <ul className="stack plain">
              {live.map((i) => (
                <li key={i.id} className="row" style={{ justifyContent: 'space-between' }}>
                  <span>
                    <span aria-hidden="true">{i.icon}</span> <strong>{i.name}</strong> <span className="muted small">{i.version}</span>
                  </span>
                  <Button
                    variant="primary"
                    disabled={p ? !p.enabled : true}
                    busy={promote.isPending && promote.variables === i.id}
                    onClick={() => promote.mutate(i.id)}
                  >
                    {t('promote')}
                    <span className="visually-hidden"> {i.name}</span>
                  </Button>
                </li>
              ))}
            </ul>
          ) : null}
        </Card>
        <Card title={t('promotions')}>
          {promotions.isError ? <ErrorNotice error={promotions.error} onRetry={() => promotions.refetch()} /> : null}
          {p && !p.items.length ? <p className="muted">{t('none')}</p> : null}
          {p?.items.length ? (
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">{t('promotions')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('pack')}</th>
                    <th scope="col">{t('when')}</th>
                    <th scope="col">{t('state')}</th>
                    <th scope="col">{t('document')}</th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((x) => (
                    <tr key={x.id}>
                      <td>{x.packName}</td>
                      <td>{when(x.createdAt, lang)}</td>
                      <td>
                        <span className={`badge ${TONE[x.state]}`}>{t(`states.${x.state}`)}</span>
                        {x.state === 'queued' && x.attempts ? (
                          <div className="muted small">{t('retrying', { count: x.attempts })}</div>
                        ) : null}
                        {x.sentAt ? <div className="muted small">{t('sentAt', { date: when(x.sentAt, lang) })}</div> : null}
                        {x.lastError && x.state !== 'sent' ? <div className="small">{x.lastError}</div> : null}
                        {x.state === 'failed' ? (
                          <Button size="small" busy={retry.isPending && retry.variables === x.id} onClick={() => retry.mutate(x.id)}>
                            {t('retry')}
                          </Button>
                        ) : null}
                      </td>
                      <td>
                        <a href={`/api/v1/promotions/${x.id}/document`} download>
                          {t('download')}
                          <span className="visually-hidden"> {x.packName}</span>
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <p className="muted small">
            {t('formatNote')} <a href="/api/v1/schemas/org-workflow.json">{t('schema')}</a>
          </p>
        </Card>
        <IoOfferCard reason="organisation" />
      </div>
    </>
  );
}
