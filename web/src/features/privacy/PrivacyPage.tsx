import * as P from '@csme/contracts/privacy';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import {
  Alert,
  Badge,
  Button,
  Card,
  CheckboxField,
  Code,
  ConfirmButton,
  CopyField,
  EmptyState,
  Meter,
  PageHeader,
  SelectField,
  Spinner,
  Switch,
  TextField,
} from '../../ui';
import { formatDateTime, formatRelative, intlLocale } from '../../ui/format';
import { useScopeLabel } from '../packs/scopes';
import { keptWhy, kindLabel } from './kinds';

const PACKS = ['privacy', 'packs'] as const;
const EXPORTS = ['privacy', 'exports'] as const;
const DELETION = ['privacy', 'deletion'] as const;
const REDACTIONS = ['privacy', 'redactions'] as const;

const formatBytes = (n: number, lang: string) => {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return new Intl.NumberFormat(intlLocale(lang), { style: 'unit', unit: units[i], unitDisplay: 'short', maximumFractionDigits: 1 }).format(
    v,
  );
};

/**
 * The Privacy page: per pack what it may do and what it read and sent in the last 30 days (with the
 * local-engine-only switch, revocation and the per-agent history and step-details switches), how long
 * history is kept, redaction patterns, the export of all one's data and the deletion of the account.
 */
export function PrivacyPage() {
  const { t } = useTranslation('privacy');
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <PacksCard />
        <RedactionCard />
        <ExportsCard />
        <DeletionCard />
      </div>
    </>
  );
}

function PacksCard() {
  const { t } = useTranslation('privacy');
  const q = useQuery({ queryKey: PACKS, queryFn: () => api(P.listPackPrivacy) });
  return (
    <>
      <Card title={t('packs.title')}>
        <p className="muted">{t('packs.lead')}</p>
        {q.isPending ? <Spinner label={t('loading')} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && !q.data.items.length ? (
          <EmptyState title={t('packs.none')} action={<Link to="/packs">{t('packs.browse')}</Link>}>
            {t('packs.noneHint')}
          </EmptyState>
        ) : null}
      </Card>
      {q.data ? (
        <Card title={t('retention.title')}>
          <p>{t('retention.body', { count: q.data.historyDays })}</p>
          {q.data.items.length ? <p className="muted small">{t('retention.perAgent')}</p> : null}
        </Card>
      ) : null}
      {q.data?.items.map((p) => (
        <PackCard key={p.installationId} pack={p} planDays={q.data.historyDays} />
      ))}
    </>
  );
}

function PackCard({ pack, planDays }: { pack: P.PackPrivacy; planDays: number }) {
  const { t, i18n } = useTranslation('privacy');
  const lang = i18n.language;
  const scopeLabel = useScopeLabel();
  const qc = useQueryClient();
  const put = (next: P.PackPrivacy) =>
    qc.setQueryData(PACKS, (old: { items: P.PackPrivacy[]; historyDays: number } | undefined) =>
      old ? { ...old, items: old.items.map((x) => (x.installationId === next.installationId ? next : x)) } : old,
    );
  const params = { installationId: pack.installationId };
  const localOnly = useMutation({
    mutationFn: (v: boolean) => api(P.updatePackPrivacy, { params, body: { localOnly: v } }),
    onSuccess: put,
  });
  const revoke = useMutation({ mutationFn: () => api(P.revokePackScopes, { params }), onSuccess: put });
  const consent = useMutation({
    mutationFn: () => api(P.consentPackScopes, { params, body: { scopes: pack.requestedScopes } }),
    onSuccess: put,
  });
  const agent = useMutation({
    mutationFn: (v: { agentId: string; storePayloads?: boolean; historyDays?: number | null }) =>
      api(P.updateAgentPrivacy, { params: { agentId: v.agentId }, body: { storePayloads: v.storePayloads, historyDays: v.historyDays } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: PACKS }),
  });
  const revoked = pack.pausedReason === 'consent_revoked';
  const used = pack.last30Days;
  const windows = [7, 30, 90, 365].filter((d) => d < planDays);
  return (
    <Card
      as="article"
      title={
        <>
          {pack.name}{' '}
          <Badge tone={pack.status === 'active' ? 'ok' : 'warn'}>{t(pack.status === 'active' ? 'packs.active' : 'packs.paused')}</Badge>
        </>
      }
    >
      {revoke.isError ? <ErrorNotice error={revoke.error} /> : null}
      {consent.isError ? <ErrorNotice error={consent.error} /> : null}
      {localOnly.isError ? <ErrorNotice error={localOnly.error} /> : null}
      {agent.isError ? <ErrorNotice error={agent.error} /> : null}
      <div className="stack">
        <h3>{t('packs.may')}</h3>
        {pack.scopes.length ? (
          <ul>
            {pack.scopes.map((s) => (
              <li key={s.scope}>{scopeLabel(s)}</li>
            ))}
          </ul>
        ) : (
          <p className="muted">{t('packs.noScopes')}</p>
        )}
      </div>
      <div className="stack">
        <h3>{t('packs.last30')}</h3>
        {used.reads || used.modelCalls ? (
          <ul>
            <li>{t('packs.reads', { count: used.reads })}</li>
            <li>{t('packs.calls', { count: used.modelCalls, tokens: used.tokensSent.toLocaleString(intlLocale(lang)) })}</li>
          </ul>
        ) : (
          <p className="muted">{t('packs.quiet')}</p>
        )}
        {used.examples.length ? (
          <details>
            <summary>{t('packs.examples')}</summary>
            <ul>
              {used.examples.map((e) => (
                <li key={`${e.at}-${e.kind}-${e.summary}`}>
                  <span className="muted small">{formatDateTime(e.at, lang)}</span> {e.summary}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </div>
      <Switch
        label={t('packs.localOnly')}
        hint={t('packs.localOnlyHint')}
        checked={pack.localOnly}
        busy={localOnly.isPending}
        onChange={(v) => localOnly.mutate(v)}
      />
      {pack.agents.length ? (
        <div className="stack">
          <h3>{t('packs.agents')}</h3>
          {pack.agents.map((a) => (
            <div key={a.id} className="stack">
              <Switch
                label={t('packs.storePayloads', { agent: a.name })}
                hint={t('packs.storePayloadsHint')}
                checked={a.storePayloads}
                busy={agent.isPending && agent.variables?.agentId === a.id && agent.variables.storePayloads !== undefined}
                onChange={(v) => agent.mutate({ agentId: a.id, storePayloads: v })}
              />
              <SelectField
                label={t('packs.history', { agent: a.name })}
                value={a.historyDays === null ? '' : String(a.historyDays)}
                disabled={agent.isPending}
                onChange={(e) => agent.mutate({ agentId: a.id, historyDays: e.target.value ? Number(e.target.value) : null })}
              >
                <option value="">{t('packs.historyPlan', { n: planDays })}</option>
                {windows.map((d) => (
                  <option key={d} value={String(d)}>
                    {t('packs.historyDays', { n: d })}
                  </option>
                ))}
                {a.historyDays !== null && !windows.includes(a.historyDays) ? (
                  <option value={String(a.historyDays)}>{t('packs.historyDays', { n: a.historyDays })}</option>
                ) : null}
              </SelectField>
            </div>
          ))}
        </div>
      ) : null}
      <div className="row">
        {revoked || !pack.scopes.length ? (
          <div className="stack">
            <Button variant="primary" busy={consent.isPending} onClick={() => consent.mutate()}>
              {t('packs.consent')}
              <span className="visually-hidden"> {pack.name}</span>
            </Button>
            {pack.requestedScopes.length ? (
              <span className="muted small">{t('packs.consentHint', { scopes: pack.requestedScopes.join(', ') })}</span>
            ) : null}
          </div>
        ) : (
          <ConfirmButton
            question={t('packs.revokeQuestion')}
            confirmLabel={t('packs.revokeConfirm')}
            cancelLabel={t('cancel', { ns: 'common' })}
            busy={revoke.isPending}
            onConfirm={() => revoke.mutate()}
          >
            {t('packs.revoke')}
            <span className="visually-hidden"> {pack.name}</span>
          </ConfirmButton>
        )}
      </div>
      {revoke.isSuccess && revoked ? <Alert tone="ok">{t('packs.revoked')}</Alert> : null}
    </Card>
  );
}

function RedactionCard() {
  const { t } = useTranslation('privacy');
  const qc = useQueryClient();
  const q = useQuery({ queryKey: REDACTIONS, queryFn: () => api(P.listRedactions) });
  const [label, setLabel] = useState('');
  const [pattern, setPattern] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: REDACTIONS });
  const add = useMutation({
    mutationFn: () => api(P.createRedaction, { body: { label, pattern } }),
    onSuccess: () => {
      setLabel('');
      setPattern('');
      return refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (redactionId: string) => api(P.deleteRedaction, { params: { redactionId } }),
    onSuccess: refresh,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <Card title={t('redaction.title')}>
      <p className="muted">{t('redaction.lead')}</p>
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
      {q.data && !q.data.items.length ? (
        <EmptyState title={t('redaction.none')}>
          <p>{t('redaction.noneHint')}</p>
          <code dir="ltr">{'\\b\\d{9}\\b'}</code>
        </EmptyState>
      ) : null}
      {q.data?.items.length ? (
        <ul className="stack plain" aria-label={t('redaction.yours')}>
          {q.data.items.map((r) => (
            <li key={r.id} className="row" style={{ justifyContent: 'space-between' }}>
              <span>
                <strong>{r.label}</strong>{' '}
                <code dir="ltr" className="small">
                  {r.pattern}
                </code>
              </span>
              <Button size="small" busy={remove.isPending && remove.variables === r.id} onClick={() => remove.mutate(r.id)}>
                {t('redaction.remove')}
                <span className="visually-hidden"> {r.label}</span>
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
      {q.data?.operator.length ? (
        <div className="stack">
          <h3>{t('redaction.operator')}</h3>
          <Code>{q.data.operator.join('\n')}</Code>
        </div>
      ) : null}
      <form className="stack" onSubmit={submit}>
        <TextField label={t('redaction.label')} value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={100} />
        <TextField
          label={t('redaction.pattern')}
          value={pattern}
          onChange={(e) => setPattern(e.target.value)}
          required
          maxLength={300}
          dir="ltr"
          spellCheck={false}
          autoCapitalize="off"
        />
        {add.isError ? <ErrorNotice error={add.error} /> : null}
        <div>
          <Button type="submit" variant="primary" busy={add.isPending}>
            {t('redaction.add')}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function ExportsCard() {
  const { t, i18n } = useTranslation('privacy');
  const lang = i18n.language;
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: EXPORTS,
    queryFn: () => api(P.listExports),
    refetchInterval: (s) => (s.state.data?.items.some((e) => e.status === 'queued' || e.status === 'running') ? 1000 : false),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: EXPORTS });
  const request = useMutation({
    mutationFn: () => api(P.requestExport),
    onSuccess: (e) => {
      // Shown at once (with its progress), before the list is asked again.
      qc.setQueryData(EXPORTS, (old: { items: P.Export[] } | undefined) => ({
        items: [e, ...(old?.items ?? []).filter((x) => x.id !== e.id)],
      }));
      return refresh();
    },
  });
  const download = useMutation({
    mutationFn: (exportId: string) => api(P.createDownloadLink, { params: { exportId } }),
    onSuccess: (link) => {
      // The link works once: the browser follows it at once and saves the archive (content-disposition: attachment).
      window.location.assign(link.url);
      void refresh();
    },
  });
  const items = q.data?.items ?? [];
  return (
    <Card title={t('exports.title')}>
      <p className="muted">{t('exports.lead')}</p>
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {request.isError ? <ErrorNotice error={request.error} /> : null}
      {download.isError ? <ErrorNotice error={download.error} /> : null}
      {request.isSuccess ? <Alert tone="ok">{t('exports.requested')}</Alert> : null}
      <div>
        <Button variant="primary" busy={request.isPending} onClick={() => request.mutate()}>
          {t('exports.request')}
        </Button>
      </div>
      {q.data && !items.length ? <EmptyState title={t('exports.none')}>{t('exports.noneHint')}</EmptyState> : null}
      {items.length ? (
        <ul className="stack plain" aria-label={t('exports.title')}>
          {items.slice(0, 5).map((e) => (
            <li key={e.id} className="stack">
              <div className="row" style={{ justifyContent: 'space-between' }}>
                <span>
                  <Badge
                    tone={e.status === 'ready' ? 'ok' : e.status === 'failed' ? 'danger' : e.status === 'expired' ? undefined : 'warn'}
                  >
                    {t(`exports.status.${e.status}`)}
                  </Badge>{' '}
                  <span className="muted small">{t('exports.asked', { date: formatDateTime(e.createdAt, lang) })}</span>
                </span>
                {e.status === 'ready' ? (
                  <Button size="small" busy={download.isPending && download.variables === e.id} onClick={() => download.mutate(e.id)}>
                    {t('exports.download')}
                    {e.sizeBytes !== null ? <span className="muted small"> ({formatBytes(e.sizeBytes, lang)})</span> : null}
                  </Button>
                ) : null}
              </div>
              {e.status === 'queued' || e.status === 'running' ? (
                <Meter label={t('exports.progress')} used={e.progress.done} limit={Math.max(1, e.progress.total)} />
              ) : null}
              {e.error ? <p className="small">{e.error}</p> : null}
              {e.downloadedAt ? (
                <span className="muted small">{t('exports.downloadedAt', { date: formatDateTime(e.downloadedAt, lang) })}</span>
              ) : null}
              {e.status === 'ready' && e.expiresAt ? (
                <span className="muted small">{t('exports.keptUntil', { date: formatDateTime(e.expiresAt, lang) })}</span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

/** Time left, "in 6 days" / "in 3 hours", refreshed every minute. */
function useNow(everyMs = 60_000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

function DeletionCard() {
  const { t, i18n } = useTranslation('privacy');
  const lang = i18n.language;
  const qc = useQueryClient();
  const now = useNow();
  const q = useQuery({ queryKey: DELETION, queryFn: () => api(P.getDeletion) });
  const [password, setPassword] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [reportToken, setReportToken] = useState<string | null>(null);
  const request = useMutation({
    mutationFn: () => api(P.requestDeletion, { body: { password, confirm: 'DELETE' } }),
    onSuccess: (r) => {
      setPassword('');
      setUnderstood(false);
      setReportToken(r.reportToken);
      return qc.invalidateQueries({ queryKey: DELETION });
    },
  });
  const cancel = useMutation({
    mutationFn: () => api(P.cancelDeletion),
    onSuccess: () => {
      setReportToken(null);
      return qc.invalidateQueries({ queryKey: DELETION });
    },
  });
  const d = q.data?.deletion;
  const live = d && (d.status === 'scheduled' || d.status === 'running');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    request.mutate();
  };
  const reportUrl = reportToken ? `${window.location.origin}/deletion-report/${reportToken}` : null;
  return (
    <Card title={t('deletion.title')}>
      <p className="muted">{t('deletion.lead')}</p>
      {q.isPending ? <Spinner label={t('loading')} /> : null}
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {cancel.isError ? <ErrorNotice error={cancel.error} /> : null}
      {q.data && !live ? <p>{t('deletion.graceLead', { count: q.data.graceDays })}</p> : null}
      {d?.status === 'cancelled' && cancel.isSuccess ? <Alert tone="ok">{t('deletion.cancelled')}</Alert> : null}
      {d?.status === 'scheduled' ? (
        <div className="stack">
          <Alert tone="warn">
            {t('deletion.scheduled', { date: formatDateTime(d.executeAfter, lang, undefined, true) })}{' '}
            {t('deletion.countdown', { left: formatRelative(d.executeAfter, lang, now) })}
          </Alert>
          {reportUrl ? (
            <div className="stack">
              <CopyField
                label={t('deletion.reportLink')}
                value={reportUrl}
                copyLabel={t('deletion.copy')}
                copiedLabel={t('deletion.copied')}
              />
              <span className="muted small">{t('deletion.reportHint')}</span>
            </div>
          ) : null}
          <div>
            <Button variant="primary" busy={cancel.isPending} onClick={() => cancel.mutate()}>
              {t('deletion.cancel')}
            </Button>
          </div>
        </div>
      ) : null}
      {d?.status === 'running' ? <Alert tone="warn">{t('deletion.running')}</Alert> : null}
      {q.data && !live ? (
        <>
          <details>
            <summary>{t('deletion.preview')}</summary>
            <ul className="small">
              {Object.entries(q.data.preview.deleted)
                .filter(([, n]) => n > 0)
                .map(([table, n]) => (
                  <li key={table}>{t('deletion.rows', { table: kindLabel(table, lang), n })}</li>
                ))}
            </ul>
            {q.data.preview.keptByLaw.length ? (
              <>
                <h3>{t('deletion.kept')}</h3>
                <ul className="small">
                  {q.data.preview.keptByLaw.map((k) => (
                    <li key={k.table}>
                      {kindLabel(k.table, lang)} ({k.rows}): {keptWhy(k.table, k.why, lang)}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </details>
          {q.data.blockers.length ? (
            <Alert tone="warn">{t('deletion.blocked', { names: q.data.blockers.map((b) => b.name).join(', ') })}</Alert>
          ) : (
            <form className="stack" onSubmit={submit}>
              <TextField
                label={t('deletion.password')}
                hint={t('deletion.passwordHint')}
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
              <CheckboxField label={t('deletion.understand')} checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
              {request.isError ? <ErrorNotice error={request.error} /> : null}
              <div>
                <Button type="submit" variant="danger" busy={request.isPending} disabled={!understood || !password}>
                  {t('deletion.request')}
                </Button>
              </div>
            </form>
          )}
        </>
      ) : null}
    </Card>
  );
}
