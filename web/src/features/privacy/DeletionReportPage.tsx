import { getDeletionReport } from '@csme/contracts/privacy';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { ScrollRegion, Spinner } from '../../ui';
import { formatDateTime } from '../../ui/format';
import { AuthFrame } from '../auth/AuthFrame';
import { keptWhy, kindLabel } from './kinds';

/** The report of an account deletion, by the link given when it was asked for: readable signed out (the account is gone). */
export function DeletionReportPage() {
  const { t, i18n } = useTranslation('privacy');
  const { token = '' } = useParams();
  const q = useQuery({ queryKey: ['deletion-report', token], queryFn: () => api(getDeletionReport, { params: { token } }), retry: false });
  const r = q.data;
  return (
    <AuthFrame title={t('report.title')}>
      {q.isPending ? <Spinner label={t('loading')} /> : null}
      {q.error instanceof ApiError && q.error.code === 'not_found' ? <p>{t('report.notFound')}</p> : null}
      {q.isError && !(q.error instanceof ApiError && q.error.code === 'not_found') ? (
        <ErrorNotice error={q.error} onRetry={() => q.refetch()} />
      ) : null}
      {r?.status === 'cancelled' ? <p>{t('report.cancelled')}</p> : null}
      {r && !r.report && r.status !== 'cancelled' ? <p>{t('report.pending', { status: t(`report.status.${r.status}`) })}</p> : null}
      {r?.report ? (
        <>
          {r.finishedAt ? <p>{t('report.done', { date: formatDateTime(r.finishedAt, i18n.language, undefined, true) })}</p> : null}
          <ScrollRegion label={t('report.deleted')}>
            <table className="table">
              <caption>{t('report.deleted')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('report.kind')}</th>
                  <th scope="col">{t('report.count')}</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(r.report.deleted)
                  .filter(([, n]) => n > 0)
                  .map(([k, n]) => (
                    <tr key={k}>
                      <td>{kindLabel(k, i18n.language)}</td>
                      <td>{n}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </ScrollRegion>
          <p>
            {t('report.other', {
              files: r.report.files,
              jobs: r.report.jobs,
              secrets: r.report.secrets,
              sessions: r.report.sessions,
              push: r.report.pushSubscriptions,
            })}
          </p>
          <ScrollRegion label={t('report.keptByLaw')}>
            <table className="table">
              <caption>{t('report.keptByLaw')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('report.kind')}</th>
                  <th scope="col">{t('report.count')}</th>
                  <th scope="col">{t('report.why')}</th>
                </tr>
              </thead>
              <tbody>
                {r.report.keptByLaw.map((k) => (
                  <tr key={k.table}>
                    <td>{kindLabel(k.table, i18n.language)}</td>
                    <td>{k.rows}</td>
                    <td>{keptWhy(k.table, k.why, i18n.language)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </>
      ) : null}
    </AuthFrame>
  );
}
