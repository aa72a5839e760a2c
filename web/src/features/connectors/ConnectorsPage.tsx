import {
  BASIC_KINDS,
  CONNECTOR_KINDS,
  type ConnectorInput,
  type ConnectorKind,
  type ConnectorView,
  createConnector,
  deleteConnector,
  listConnectors,
  syncConnector,
  type TestResult,
  testConnector,
  updateConnector,
} from '@csme/contracts/connectors';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, EmptyState, Meter, PageHeader, SelectField, Spinner, TextArea, TextField } from '../../ui';

type Tls = 'tls' | 'starttls' | 'none';
interface Form {
  kind: ConnectorKind;
  name: string;
  visibility: 'private' | 'shared';
  imapHost: string;
  imapPort: string;
  imapTls: Tls;
  smtpHost: string;
  smtpPort: string;
  smtpTls: Tls;
  username: string;
  password: string;
  fromAddress: string;
  url: string;
  allow: string;
  headerName: string;
  headerValue: string;
}

const blank: Form = {
  kind: 'email',
  name: '',
  visibility: 'private',
  imapHost: '',
  imapPort: '993',
  imapTls: 'tls',
  smtpHost: '',
  smtpPort: '465',
  smtpTls: 'tls',
  username: '',
  password: '',
  fromAddress: '',
  url: '',
  allow: '',
  headerName: '',
  headerValue: '',
};

function fromConnector(c: ConnectorView): Form {
  const s = c.settings as Record<string, unknown> & {
    imap?: { host: string; port: number; tls: Tls };
    smtp?: { host: string; port: number; tls: Tls };
  };
  return {
    ...blank,
    kind: c.kind,
    name: c.name,
    visibility: c.visibility,
    imapHost: s.imap?.host ?? '',
    imapPort: String(s.imap?.port ?? 993),
    imapTls: s.imap?.tls ?? 'tls',
    smtpHost: s.smtp?.host ?? '',
    smtpPort: String(s.smtp?.port ?? 465),
    smtpTls: s.smtp?.tls ?? 'tls',
    username: String(s.username ?? ''),
    fromAddress: String(s.fromAddress ?? ''),
    url: String(s.url ?? ''),
    allow: ((s.allow as string[] | undefined) ?? []).join('\n'),
    headerName: String(s.headerName ?? ''),
  };
}

function toInput(f: Form): ConnectorInput {
  const base = { name: f.name.trim(), visibility: f.visibility };
  const password = f.password ? f.password : undefined;
  switch (f.kind) {
    case 'email':
      return {
        kind: 'email',
        ...base,
        imap: { host: f.imapHost.trim(), port: Number(f.imapPort), tls: f.imapTls },
        smtp: { host: f.smtpHost.trim(), port: Number(f.smtpPort), tls: f.smtpTls },
        username: f.username.trim(),
        password,
        fromAddress: f.fromAddress.trim() || undefined,
      };
    case 'caldav':
      return { kind: 'caldav', ...base, url: f.url.trim(), username: f.username.trim(), password };
    case 'http':
      return {
        kind: 'http',
        ...base,
        allow: f.allow
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
        headerName: f.headerName.trim() || undefined,
        headerValue: f.headerValue || undefined,
      };
    default:
      return { kind: f.kind, ...base, url: f.url.trim() };
  }
}

function ConnectorForm({
  editing,
  level,
  family,
  onDone,
}: {
  editing: ConnectorView | null;
  level: 'basic' | 'all';
  family: boolean;
  onDone: () => void;
}) {
  const { t } = useTranslation('connectors');
  const qc = useQueryClient();
  const [f, setF] = useState<Form>(editing ? fromConnector(editing) : blank);
  const [result, setResult] = useState<TestResult | null>(null);
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const test = useMutation({ mutationFn: () => api(testConnector, { body: toInput(f) }), onSuccess: setResult });
  const save = useMutation({
    mutationFn: () =>
      editing
        ? api(updateConnector, { params: { connectorId: editing.id }, body: toInput(f) })
        : api(createConnector, { body: toInput(f) }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['connectors'] });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    save.mutate();
  };
  const needsPassword = f.kind === 'email' || f.kind === 'caldav';
  const tlsOptions = (['tls', 'starttls', 'none'] as const).map((v) => (
    <option key={v} value={v}>
      {t(`tls.${v}`)}
    </option>
  ));
  return (
    <Card title={editing ? t('editTitle', { name: editing.name }) : t('connectTitle')}>
      <form className="stack" onSubmit={submit} noValidate>
        {editing ? null : (
          <SelectField
            label={t('kind')}
            value={f.kind}
            onChange={(e) => setF({ ...blank, kind: e.target.value as ConnectorKind, name: f.name })}
          >
            {CONNECTOR_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kinds.${k}`)} {level === 'basic' && !BASIC_KINDS.includes(k) ? t('needsPro') : ''}
              </option>
            ))}
          </SelectField>
        )}
        <TextField label={t('name')} placeholder={t('namePlaceholder')} value={f.name} onChange={set('name')} required />
        {family ? (
          <SelectField label={t('visibility')} value={f.visibility} onChange={set('visibility')}>
            <option value="private">{t('visibilities.private')}</option>
            <option value="shared">{t('visibilities.shared')}</option>
          </SelectField>
        ) : null}
        {f.kind === 'email' ? (
          <>
            <div className="grid">
              <TextField label={t('imapHost')} value={f.imapHost} onChange={set('imapHost')} placeholder="imap.example.com" dir="ltr" />
              <TextField label={t('port')} value={f.imapPort} onChange={set('imapPort')} inputMode="numeric" dir="ltr" />
              <SelectField label={t('security')} value={f.imapTls} onChange={set('imapTls')}>
                {tlsOptions}
              </SelectField>
            </div>
            <div className="grid">
              <TextField label={t('smtpHost')} value={f.smtpHost} onChange={set('smtpHost')} placeholder="smtp.example.com" dir="ltr" />
              <TextField label={t('port')} value={f.smtpPort} onChange={set('smtpPort')} inputMode="numeric" dir="ltr" />
              <SelectField label={t('security')} value={f.smtpTls} onChange={set('smtpTls')}>
                {tlsOptions}
              </SelectField>
            </div>
            <TextField label={t('fromAddress')} type="email" value={f.fromAddress} onChange={set('fromAddress')} dir="ltr" />
          </>
        ) : null}
        {f.kind === 'ics' || f.kind === 'caldav' || f.kind === 'feed' ? (
          <TextField
            label={t('url')}
            type="url"
            value={f.url}
            onChange={set('url')}
            dir="ltr"
            hint={t(f.kind === 'ics' ? 'icsHint' : f.kind === 'caldav' ? 'caldavHint' : 'feedHint')}
          />
        ) : null}
        {needsPassword ? (
          <>
            <TextField
              label={t('username')}
              value={f.username}
              onChange={set('username')}
              autoComplete="off"
              dir="ltr"
              hint={t('usernameHint')}
            />
            <TextField
              label={t('password')}
              type="password"
              value={f.password}
              onChange={set('password')}
              autoComplete="new-password"
              hint={editing ? t('passwordKeep') : t('passwordHint')}
            />
          </>
        ) : null}
        {f.kind === 'http' ? (
          <>
            <TextArea label={t('allow')} value={f.allow} onChange={set('allow')} rows={3} dir="ltr" hint={t('allowHint')} />
            <TextField label={t('headerName')} value={f.headerName} onChange={set('headerName')} placeholder="Authorization" dir="ltr" />
            <TextField label={t('headerValue')} type="password" value={f.headerValue} onChange={set('headerValue')} autoComplete="off" />
          </>
        ) : null}
        {result ? (
          <Alert tone={result.ok ? 'ok' : 'warn'} title={result.ok ? t('testOk') : t('testFailed')}>
            {result.message}
          </Alert>
        ) : null}
        {test.isError ? <ErrorNotice error={test.error} /> : null}
        {save.isError ? <ErrorNotice error={save.error} /> : null}
        <div className="row">
          <Button onClick={() => test.mutate()} busy={test.isPending}>
            {test.isPending ? t('testing') : t('test')}
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {editing ? t('saveChanges') : t('save')}
          </Button>
          <Button onClick={onDone}>{t('cancel')}</Button>
        </div>
      </form>
    </Card>
  );
}

function Health({ c }: { c: ConnectorView }) {
  const { t, i18n } = useTranslation('connectors');
  const h = c.health;
  const when = (s: string | null) => (s ? new Date(s).toLocaleString(i18n.language) : t('never'));
  return (
    <div className="stack">
      {c.status === 'paused' ? <Alert tone="warn">{t('pausedPlan')}</Alert> : null}
      {h.needsAttention ? (
        <Alert tone="error" title={t('status.attention')}>
          {h.lastError} {t('attentionHelp')}
        </Alert>
      ) : null}
      {h.phase === 'initial' && h.progressTotal ? (
        <Meter label={t('phase.initial', { done: h.progressDone, total: h.progressTotal })} used={h.progressDone} limit={h.progressTotal} />
      ) : (
        <p className="muted small">{t(`phase.${h.phase}`, { done: h.progressDone, total: h.progressTotal ?? 0 })}</p>
      )}
      {c.kind !== 'http' ? <p className="muted small">{t('lastSuccess', { when: when(h.lastSuccessAt) })}</p> : null}
      {h.lastError && !h.needsAttention ? <p className="small">{t('lastError', { error: h.lastError })}</p> : null}
      {h.itemErrors > 0 ? <p className="muted small">{t('itemErrors', { count: h.itemErrors })}</p> : null}
    </div>
  );
}

function ConnectorCard({ c, onEdit }: { c: ConnectorView; onEdit: () => void }) {
  const { t } = useTranslation('connectors');
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: ['connectors'] });
  const sync = useMutation({ mutationFn: () => api(syncConnector, { params: { connectorId: c.id } }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: () => api(deleteConnector, { params: { connectorId: c.id } }), onSuccess: refresh });
  const badge = c.health.needsAttention ? ['danger', 'attention'] : c.status === 'paused' ? ['warn', 'paused'] : ['ok', 'active'];
  return (
    <Card
      as="article"
      title={
        <span className="row">
          {c.name} <span className={`badge ${badge[0]}`}>{t(`status.${badge[1]}`)}</span>
        </span>
      }
    >
      <p className="muted small">
        {t(`kinds.${c.kind}`)}
        {c.host ? (
          <>
            {' · '}
            <span dir="ltr">{c.host}</span>
          </>
        ) : null}
      </p>
      <Health c={c} />
      {sync.isError ? <ErrorNotice error={sync.error} /> : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
      <div className="row">
        {c.kind !== 'http' && c.status === 'active' ? (
          <Button size="small" onClick={() => sync.mutate()} busy={sync.isPending}>
            {t('syncNow')}
          </Button>
        ) : null}
        <Button size="small" onClick={onEdit}>
          {t('edit')}
        </Button>
        <Button
          size="small"
          variant="danger"
          busy={remove.isPending}
          onClick={() => {
            if (window.confirm(t('confirmDisconnect', { name: c.name }))) remove.mutate();
          }}
        >
          {t('disconnect')}
        </Button>
      </div>
    </Card>
  );
}

export function ConnectorsPage({ family = false }: { family?: boolean }) {
  const { t } = useTranslation('connectors');
  const [mode, setMode] = useState<{ kind: 'list' } | { kind: 'new' } | { kind: 'edit'; c: ConnectorView }>({ kind: 'list' });
  const q = useQuery({
    queryKey: ['connectors'],
    queryFn: () => api(listConnectors),
    // While something is indexing, show its progress as it moves.
    refetchInterval: (query) =>
      query.state.data?.items.some((c) => c.health.phase === 'pending' || c.health.phase === 'initial') ? 1500 : 15_000,
  });
  const level = q.data?.plan.connectors ?? 'basic';
  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('lead')}
        actions={
          mode.kind === 'list' ? (
            <Button variant="primary" onClick={() => setMode({ kind: 'new' })}>
              {t('connect')}
            </Button>
          ) : null
        }
      />
      <div className="stack">
        {q.data ? <p className="muted small">{level === 'basic' ? t('planBasic') : t('planAll')}</p> : null}
        {mode.kind !== 'list' ? (
          <ConnectorForm
            key={mode.kind === 'edit' ? mode.c.id : 'new'}
            editing={mode.kind === 'edit' ? mode.c : null}
            level={level}
            family={family}
            onDone={() => setMode({ kind: 'list' })}
          />
        ) : null}
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && q.data.items.length === 0 && mode.kind === 'list' ? (
          <EmptyState
            title={t('emptyTitle')}
            action={
              <Button variant="primary" onClick={() => setMode({ kind: 'new' })}>
                {t('connect')}
              </Button>
            }
          >
            {t('emptyBody')}
          </EmptyState>
        ) : null}
        {q.data?.items.map((c) => (
          <ConnectorCard key={c.id} c={c} onEdit={() => setMode({ kind: 'edit', c })} />
        ))}
      </div>
    </>
  );
}
