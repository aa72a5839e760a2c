import type { RunDetail, StepView } from '@csme/contracts/runs';
import { cancelRun, getRun } from '@csme/contracts/runs';
import { getSuggestion } from '@csme/contracts/suggestions';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, Code, EmptyState, PageHeader, Spinner } from '../../ui';
import { bidi, formatCostMicros, formatDateTime, formatDuration, prettyJson } from '../../ui/format';
import { OfferLinks } from '../plans/Offers';
import { SuggestionStatusBadge } from '../suggestions/status';
import { isLive, RunStatusBadge } from './status';

function Payload({ label, value }: { label: string; value: unknown }) {
  const { t } = useTranslation('runs');
  if (value === null || value === undefined) return null;
  const text = prettyJson(value);
  return (
    <details>
      <summary>{label}</summary>
      {text ? <Code>{text}</Code> : <p className="muted small">{t('emptyPayload')}</p>}
    </details>
  );
}

const STEP_TONES = { running: 'info', succeeded: 'ok', failed: 'danger', skipped: undefined } as const;

function Step({ step }: { step: StepView }) {
  const { t, i18n } = useTranslation('runs');
  return (
    <li className={step.status}>
      <div className="item-row">
        <strong>
          {step.idx + 1}. {step.name}
        </strong>
        <Badge tone={STEP_TONES[step.status]}>{t(`stepStatus.${step.status}`)}</Badge>
      </div>
      <p className="meta">
        <span>{t(`stepKind.${step.kind}`)}</span>
        {step.durationMs !== null ? <span>{formatDuration(step.durationMs, i18n.language)}</span> : null}
        {step.tokensIn || step.tokensOut ? <span>{t('tokens', { in: step.tokensIn, out: step.tokensOut })}</span> : null}
      </p>
      {step.status === 'running' ? <div className="progress-indeterminate" aria-hidden="true" /> : null}
      {step.error ? <Alert tone="error">{step.error}</Alert> : null}
      <Payload label={t('input')} value={step.input} />
      <Payload label={t('output')} value={step.output} />
    </li>
  );
}

function Suggestions({ ids }: { ids: string[] }) {
  const { t } = useTranslation('runs');
  const qs = useQueries({
    queries: ids.map((id) => ({ queryKey: ['suggestion', id], queryFn: () => api(getSuggestion, { params: { suggestionId: id } }) })),
  });
  return (
    <Card title={t('suggestionsTitle')}>
      <p className="muted">{t('suggestionsLead')}</p>
      <ul className="items">
        {qs.map((q, i) =>
          q.data ? (
            <li key={q.data.id} className="item-row">
              <span>{q.data.title}</span>
              <SuggestionStatusBadge status={q.data.status} />
            </li>
          ) : (
            <li key={ids[i]}>{q.isError ? <ErrorNotice error={q.error} /> : <Spinner label={t('loading', { ns: 'common' })} />}</li>
          ),
        )}
      </ul>
      <Link className="button primary" to="/suggestions">
        {t('openInbox')}
      </Link>
    </Card>
  );
}

function WhyNot({ run }: { run: RunDetail }) {
  const { t, i18n } = useTranslation('runs');
  return (
    <Card title={t('whyNotTitle')}>
      <p>{t(`refused.${run.refusedReason ?? 'other'}`, { defaultValue: t('refused.other') })}</p>
      {run.reason ? <p className="muted">{run.reason}</p> : null}
      <OfferLinks offers={run.offers} />
      {run.refusedReason === 'paused' || run.refusedReason === 'disabled' ? (
        <Link to={`/agents/${run.agentId}`}>{t('toAgent', { name: bidi(run.agentName, i18n.language) })}</Link>
      ) : null}
    </Card>
  );
}

export function RunPage() {
  const { runId = '' } = useParams();
  const { t, i18n } = useTranslation('runs');
  const session = useShellSession();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['run', runId],
    queryFn: () => api(getRun, { params: { runId } }),
    // Follow a live run: its steps appear as they happen.
    refetchInterval: (query) => (query.state.data && isLive(query.state.data.status) ? 1500 : false),
  });
  const cancel = useMutation({
    mutationFn: () => api(cancelRun, { params: { runId } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['run', runId] });
      void qc.invalidateQueries({ queryKey: ['runs'] });
    },
  });
  // When a run has ended (seen end here, or already ended when opened), what it proposed is in the
  // inbox: refresh the inbox and its count in the menu.
  const lastStatus = useRef<string | undefined>(undefined);
  const status = q.data?.status;
  useEffect(() => {
    if (status && !isLive(status) && (!lastStatus.current || isLive(lastStatus.current))) {
      void qc.invalidateQueries({ queryKey: ['suggestions'] });
      void qc.invalidateQueries({ queryKey: ['runs'] });
    }
    lastStatus.current = status;
  }, [status, qc]);

  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.code === 'not_found')
      return (
        <EmptyState title={t('notFound')} action={<Link to="/runs">{t('backToRuns')}</Link>}>
          {t('notFoundHint')}
        </EmptyState>
      );
    return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  }
  const r = q.data;
  const tz = session.account.timeZone;
  const live = isLive(r.status);
  return (
    <>
      <p>
        <Link to="/runs">← {t('backToRuns')}</Link>
      </p>
      <PageHeader
        title={t('runOf', { name: bidi(r.agentName, i18n.language) })}
        description={
          <span className="row">
            <RunStatusBadge status={r.status} />
            <span>{r.packName}</span>
          </span>
        }
        actions={
          live && session.activeSpace.role !== 'child' ? (
            <Button variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate()}>
              {t('cancelRun')}
            </Button>
          ) : undefined
        }
      />
      <div className="stack">
        {cancel.isError ? <ErrorNotice error={cancel.error} /> : null}
        {live ? (
          <div className="stack" role="status">
            <span>{r.status === 'queued' ? t('waiting') : t('running', { count: r.steps.length })}</span>
            <div className="progress-indeterminate" aria-hidden="true" />
          </div>
        ) : null}
        {r.status === 'refused' ? <WhyNot run={r} /> : null}
        {r.status === 'failed' ? (
          <Alert tone="error" title={t('failedTitle')}>
            {r.error ?? t('failedUnknown')}
          </Alert>
        ) : null}
        {r.status === 'cancelled' ? <Alert>{t('cancelledText')}</Alert> : null}
        <Card title={t('detailsTitle')}>
          <dl className="kv">
            <dt>{t('agent')}</dt>
            <dd>
              <Link to={`/agents/${r.agentId}`}>{r.agentName}</Link>
            </dd>
            <dt>{t('triggerLabel')}</dt>
            <dd>{t(`trigger.${r.triggerKind}`)}</dd>
            <dt>{t('queuedAt')}</dt>
            <dd>{formatDateTime(r.queuedAt, i18n.language, tz)}</dd>
            {r.startedAt ? (
              <>
                <dt>{t('startedAt')}</dt>
                <dd>{formatDateTime(r.startedAt, i18n.language, tz)}</dd>
              </>
            ) : null}
            {r.finishedAt ? (
              <>
                <dt>{t('finishedAt')}</dt>
                <dd>{formatDateTime(r.finishedAt, i18n.language, tz)}</dd>
              </>
            ) : null}
            {r.durationMs !== null ? (
              <>
                <dt>{t('duration')}</dt>
                <dd>{formatDuration(r.durationMs, i18n.language)}</dd>
              </>
            ) : null}
            <dt>{t('modelUse')}</dt>
            <dd>
              {t('tokens', { in: r.tokensIn, out: r.tokensOut })} · {formatCostMicros(r.costMicros, i18n.language)}
            </dd>
          </dl>
          <Payload label={t('triggerData')} value={r.triggerData && Object.keys(r.triggerData as object).length ? r.triggerData : null} />
        </Card>
        {r.status !== 'refused' ? (
          <Card title={t('stepsTitle')}>
            {r.steps.length ? (
              <ol className="timeline" aria-label={t('stepsTitle')}>
                {r.steps.map((s) => (
                  <Step key={s.idx} step={s} />
                ))}
              </ol>
            ) : (
              <p className="muted">{live ? t('noStepsYet') : t('noSteps')}</p>
            )}
            {!live && r.steps.some((s) => s.input === null && s.output === null && s.status === 'succeeded') ? (
              <p className="small muted">{t('payloadsNotStored')}</p>
            ) : null}
          </Card>
        ) : null}
        {r.suggestionIds.length ? <Suggestions ids={r.suggestionIds} /> : null}
      </div>
    </>
  );
}
