import type { AgentView } from '@csme/contracts/packs';
import { createWebhookUrl, getAgent, updateAgent } from '@csme/contracts/packs';
import { listRuns } from '@csme/contracts/runs';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Button, Card, CheckboxField, Code, CopyField, EmptyState, PageHeader, SelectField, Spinner, Switch } from '../../ui';
import { formatDateTime } from '../../ui/format';
import { RunStatusBadge } from '../runs/status';
import { AgentSwitch, canRunNow, RunNowButton, useAgentsChanged } from './AgentControls';
import { NextRun } from './AgentsPage';
import { describeTrigger } from './describe';

const POLICIES = ['suggest', 'auto', 'never'] as const;

function WhenItRuns({ agent }: { agent: AgentView }) {
  const { t, i18n } = useTranslation('agents');
  const session = useShellSession();
  const schedule = agent.triggers.find((tr) => tr.type === 'schedule');
  return (
    <Card title={t('whenTitle')}>
      <ul>
        {agent.triggers.map((tr) => (
          <li key={`${tr.type}:${tr.event ?? tr.cron ?? tr.rrule ?? ''}`}>{describeTrigger(tr, t, i18n.language)}</li>
        ))}
      </ul>
      {schedule ? (
        <p>
          {agent.nextRunAt ? <NextRun agent={agent} /> : <span className="muted">{t('noNextRun')}</span>}
          <br />
          <span className="small muted">
            {t('timesIn', { zone: session.account.timeZone })} <Link to="/settings">{t('changeZone')}</Link>
          </span>
          {schedule.timeZone && schedule.timeZone !== 'person' && schedule.timeZone !== session.account.timeZone ? (
            <>
              <br />
              <span className="small muted">{t('scheduleZoneDiffers', { zone: schedule.timeZone })}</span>
            </>
          ) : null}
        </p>
      ) : null}
      {agent.enabled && canRunNow(agent) && session.activeSpace.role !== 'child' ? <RunNowButton agent={agent} /> : null}
    </Card>
  );
}

function Webhook({ agent }: { agent: AgentView }) {
  const { t } = useTranslation('agents');
  const [hmac, setHmac] = useState(false);
  const changed = useAgentsChanged();
  const m = useMutation({
    mutationFn: () => api(createWebhookUrl, { params: { agentId: agent.id }, body: { hmac } }),
    onSuccess: () => changed(),
  });
  return (
    <Card title={t('webhookTitle')}>
      <p>{t('webhookLead')}</p>
      {!agent.enabled ? <Alert tone="warn">{t('webhookAgentOff')}</Alert> : null}
      {m.data ? (
        <div className="stack">
          <Alert tone="ok" title={t('webhookCreated')}>
            {t('webhookShownOnce')}
          </Alert>
          <CopyField label={t('webhookUrl')} value={m.data.url} copyLabel={t('copy')} copiedLabel={t('copied')} />
          {m.data.hmacSecret ? (
            <CopyField label={t('signingSecret')} value={m.data.hmacSecret} copyLabel={t('copy')} copiedLabel={t('copied')} />
          ) : null}
          <details>
            <summary>{t('webhookExample')}</summary>
            <Code>
              {m.data.hmacSecret
                ? `BODY='{"title":"Call the plumber"}'\nSIG=$(printf %s "$BODY" | openssl dgst -sha256 -hmac '${m.data.hmacSecret}' | cut -d' ' -f2)\ncurl -X POST -H 'content-type: application/json' -H "X-Csme-Signature: sha256=$SIG" -d "$BODY" '${m.data.url}'`
                : `curl -X POST -H 'content-type: application/json' -d '{"title":"Call the plumber"}' '${m.data.url}'`}
            </Code>
          </details>
        </div>
      ) : (
        <div className="stack">
          <p className="muted">{agent.hasWebhook ? t('webhookExists') : t('webhookNone')}</p>
          <CheckboxField label={t('useSigning')} hint={t('useSigningHint')} checked={hmac} onChange={(e) => setHmac(e.target.checked)} />
          <div>
            <Button variant={agent.hasWebhook ? undefined : 'primary'} busy={m.isPending} onClick={() => m.mutate()}>
              {agent.hasWebhook ? t('replaceWebhook') : t('createWebhook')}
            </Button>
          </div>
          {m.isError ? <ErrorNotice error={m.error} /> : null}
        </div>
      )}
    </Card>
  );
}

function Policies({ agent }: { agent: AgentView }) {
  const { t } = useTranslation('agents');
  const changed = useAgentsChanged();
  const m = useMutation({
    mutationFn: (p: Record<string, 'suggest' | 'auto' | 'never'>) =>
      api(updateAgent, { params: { agentId: agent.id }, body: { policies: p } }),
    onSuccess: () => changed(),
  });
  return (
    <Card title={t('policiesTitle')}>
      <p>{t('policiesLead')}</p>
      {!agent.actionTypes.length ? <p className="muted">{t('readOnlyAgent')}</p> : null}
      {agent.actionTypes.map((type) => (
        <SelectField
          key={type}
          label={t(`actionTypes.${type.replace('.', '_')}`, { defaultValue: type })}
          value={agent.policies[type] ?? 'suggest'}
          disabled={m.isPending}
          onChange={(e) => m.mutate({ [type]: e.target.value as (typeof POLICIES)[number] })}
          hint={t(`policyHint.${agent.policies[type] ?? 'suggest'}`)}
        >
          {POLICIES.map((p) => (
            <option key={p} value={p}>
              {t(`policy.${p}`)}
            </option>
          ))}
        </SelectField>
      ))}
      {m.isSuccess && !m.isPending ? <Alert tone="ok">{t('saved', { ns: 'common' })}</Alert> : null}
      {m.isError ? <ErrorNotice error={m.error} /> : null}
    </Card>
  );
}

function Privacy({ agent }: { agent: AgentView }) {
  const { t } = useTranslation('agents');
  const changed = useAgentsChanged();
  const m = useMutation({
    mutationFn: (storePayloads: boolean) => api(updateAgent, { params: { agentId: agent.id }, body: { storePayloads } }),
    onSuccess: () => changed(),
  });
  return (
    <Card title={t('privacyTitle')}>
      <Switch
        label={t('storePayloads')}
        hint={t('storePayloadsHint')}
        checked={agent.storePayloads}
        busy={m.isPending}
        onChange={(v) => m.mutate(v)}
      />
      {m.isError ? <ErrorNotice error={m.error} /> : null}
    </Card>
  );
}

function RecentRuns({ agent }: { agent: AgentView }) {
  const { t, i18n } = useTranslation('agents');
  const session = useShellSession();
  const runs = useQuery({
    queryKey: ['runs', { agentId: agent.id, limit: 5 }],
    queryFn: () => api(listRuns, { query: { agentId: agent.id, limit: 5 } }),
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === 'queued' || r.status === 'running') ? 3000 : false),
  });
  return (
    <Card title={t('recentRuns')}>
      {runs.isError ? <ErrorNotice error={runs.error} onRetry={() => runs.refetch()} /> : null}
      {runs.data && !runs.data.items.length ? <p className="muted">{t('noRunsYet')}</p> : null}
      <ul className="items">
        {runs.data?.items.map((r) => (
          <li key={r.id} className="item-row">
            <Link to={`/runs/${r.id}`}>{formatDateTime(r.queuedAt, i18n.language, session.account.timeZone)}</Link>
            <RunStatusBadge status={r.status} />
          </li>
        ))}
      </ul>
      <Link to={`/runs?agent=${agent.id}`}>{t('allRuns')}</Link>
    </Card>
  );
}

export function AgentPage() {
  const { agentId = '' } = useParams();
  const { t } = useTranslation('agents');
  const session = useShellSession();
  const q = useQuery({ queryKey: ['agents', agentId], queryFn: () => api(getAgent, { params: { agentId } }) });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.code === 'not_found')
      return (
        <EmptyState title={t('notFound')} action={<Link to="/agents">{t('backToAgents')}</Link>}>
          {t('notFoundHint')}
        </EmptyState>
      );
    return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  }
  const a = q.data;
  const child = session.activeSpace.role === 'child';
  return (
    <>
      <p>
        <Link to="/agents">← {t('backToAgents')}</Link>
      </p>
      <PageHeader
        title={a.name}
        description={
          <>
            {a.description}{' '}
            <Link to={`/installations/${a.installationId}`}>
              <span aria-hidden="true">{a.packIcon}</span> {a.packName}
            </Link>
          </>
        }
      />
      <div className="stack">
        {!child ? (
          <Card title={t('onOffTitle')}>
            <AgentSwitch agent={a} label={t('agentIsOn')} />
          </Card>
        ) : null}
        <WhenItRuns agent={a} />
        {a.triggers.some((tr) => tr.type === 'webhook') && !child ? <Webhook agent={a} /> : null}
        {!child ? <Policies agent={a} /> : null}
        {!child ? <Privacy agent={a} /> : null}
        <RecentRuns agent={a} />
      </div>
    </>
  );
}
