import type { InstallationView } from '@csme/contracts/packs';
import { getInstallation, pauseInstallation, resumeInstallation, uninstallPack, updateInstallation } from '@csme/contracts/packs';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, ConfirmButton, EmptyState, PageHeader, Spinner, Switch } from '../../ui';
import { bidi, formatDateTime } from '../../ui/format';
import { AgentSwitch, canRunNow, RunNowButton } from '../agents/AgentControls';
import { describeTrigger } from '../agents/describe';
import { ProblemNotice, refusalOffers } from '../plans/Offers';
import { useInstallations } from './PacksPage';
import {
  initialRaw,
  type JsonSchema,
  type Problem,
  parseRaw,
  type RawValues,
  SchemaForm,
  serverSettingsErrors,
  useProblemText,
} from './SchemaForm';
import { RiskBadge, useScopeLabel } from './scopes';
import { InstallationStatus } from './status';

function useInstallationChanged() {
  const qc = useQueryClient();
  return (inst?: InstallationView) => {
    if (inst) qc.setQueryData(['installations', inst.id], inst);
    return Promise.all(['installations', 'packs', 'agents', 'usage'].map((k) => qc.invalidateQueries({ queryKey: [k] })));
  };
}

/**
 * Why a pack is paused, and what the person can do about it. A pack paused for the plan's limit
 * lets the person choose which pack stays active: resume this one, pausing another.
 */
function PausedPanel({ inst }: { inst: InstallationView }) {
  const { t, i18n } = useTranslation('packs');
  const changed = useInstallationChanged();
  const all = useInstallations();
  const others = (all.data?.items ?? []).filter((i) => i.id !== inst.id && i.status === 'active');
  const resume = useMutation({
    mutationFn: () => api(resumeInstallation, { params: { installationId: inst.id } }),
    onSuccess: (v) => changed(v),
  });
  const swap = useMutation({
    mutationFn: async (otherId: string) => {
      await api(pauseInstallation, { params: { installationId: otherId } });
      try {
        return await api(resumeInstallation, { params: { installationId: inst.id } });
      } catch (e) {
        // Put the other pack back as it was, so that a failed swap leaves nothing paused by surprise.
        await api(resumeInstallation, { params: { installationId: otherId } }).catch(() => undefined);
        throw e;
      }
    },
    onSuccess: (v) => changed(v),
  });
  const reason = inst.pausedReason ?? 'person';
  const tone = reason === 'person' ? 'info' : 'warn';
  const planRefused = refusalOffers(resume.error) !== null;
  return (
    <Alert tone={tone} title={t(`paused.${reason}.title`, { defaultValue: t('paused.person.title') })}>
      <div className="stack">
        <span>{t(`paused.${reason}.text`, { defaultValue: t('paused.person.text') })}</span>
        <div className="row">
          <Button variant="primary" busy={resume.isPending} onClick={() => resume.mutate()}>
            {t('resume')}
          </Button>
        </div>
        {resume.isError ? <ProblemNotice error={resume.error} /> : null}
        {(reason === 'plan_limit' || planRefused) && others.length ? (
          <div className="stack">
            <strong>{t('paused.choose')}</strong>
            {others.map((o) => (
              <div key={o.id} className="row">
                <Button busy={swap.isPending && swap.variables === o.id} onClick={() => swap.mutate(o.id)}>
                  {t('paused.swap', { other: bidi(o.name, i18n.language), name: bidi(inst.name, i18n.language) })}
                </Button>
              </div>
            ))}
            {swap.isError ? <ProblemNotice error={swap.error} /> : null}
          </div>
        ) : null}
      </div>
    </Alert>
  );
}

function SettingsCard({ inst }: { inst: InstallationView }) {
  const { t } = useTranslation('packs');
  const schema = inst.settingsSchema as JsonSchema;
  const changed = useInstallationChanged();
  const [raw, setRaw] = useState<RawValues>(() => initialRaw(schema, inst.settings));
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const problemText = useProblemText();
  const m = useMutation({
    mutationFn: (settings: Record<string, unknown>) => api(updateInstallation, { params: { installationId: inst.id }, body: { settings } }),
    onSuccess: (v) => changed(v),
  });
  const serverErrors = serverSettingsErrors(m.error);
  const errors: Record<string, string | undefined> = { ...serverErrors };
  for (const [k, p] of Object.entries(problems)) errors[k] = problemText(p);
  return (
    <Card title={t('settingsTitle')}>
      <form
        className="stack"
        noValidate
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          const r = parseRaw(schema, raw);
          setProblems(r.problems);
          if (!Object.keys(r.problems).length) m.mutate(r.values);
        }}
      >
        <SchemaForm schema={schema} raw={raw} onChange={setRaw} errors={errors} />
        {m.isSuccess && !m.isPending ? <Alert tone="ok">{t('settingsSaved')}</Alert> : null}
        {m.isError && !Object.keys(serverErrors).length ? <ErrorNotice error={m.error} /> : null}
        {Object.keys(schema?.properties ?? {}).length ? (
          <div>
            <Button type="submit" variant="primary" busy={m.isPending}>
              {t('saveSettings')}
            </Button>
          </div>
        ) : null}
      </form>
    </Card>
  );
}

function LocalOnly({ inst }: { inst: InstallationView }) {
  const { t } = useTranslation('packs');
  const changed = useInstallationChanged();
  const m = useMutation({
    mutationFn: (localOnly: boolean) => api(updateInstallation, { params: { installationId: inst.id }, body: { localOnly } }),
    onSuccess: (v) => changed(v),
  });
  return (
    <>
      <Switch label={t('localOnly')} hint={t('localOnlyHint')} checked={inst.localOnly} busy={m.isPending} onChange={(v) => m.mutate(v)} />
      {m.isError ? <ErrorNotice error={m.error} /> : null}
    </>
  );
}

export function InstallationPage() {
  const { installationId = '' } = useParams();
  const { t, i18n } = useTranslation(['packs', 'agents']);
  const session = useShellSession();
  const location = useLocation();
  const navigate = useNavigate();
  const scopeLabel = useScopeLabel();
  const changed = useInstallationChanged();
  const q = useQuery({
    queryKey: ['installations', installationId],
    queryFn: () => api(getInstallation, { params: { installationId } }),
  });
  const pause = useMutation({
    mutationFn: () => api(pauseInstallation, { params: { installationId } }),
    onSuccess: (v) => changed(v),
  });
  const uninstall = useMutation({
    mutationFn: () => api(uninstallPack, { params: { installationId } }),
    onSuccess: async () => {
      await changed();
      navigate('/packs', { replace: true });
    },
  });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.code === 'not_found')
      return (
        <EmptyState title={t('installationNotFound')} action={<Link to="/packs">{t('backToPacks')}</Link>}>
          {t('installationNotFoundHint')}
        </EmptyState>
      );
    return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  }
  const inst = q.data;
  const justInstalled = (location.state as { installed?: boolean } | null)?.installed;
  const held = inst.agents.filter((a) => !a.enabled && a.disabledReason && a.disabledReason !== 'person');
  const child = session.activeSpace.role === 'child';
  return (
    <>
      <p>
        <Link to="/packs">← {t('backToPacks')}</Link>
      </p>
      <PageHeader
        title={`${inst.icon} ${inst.name}`}
        description={
          <span className="row">
            <InstallationStatus inst={inst} />
            {session.activeSpace.kind === 'family' ? <Badge>{t(inst.visibility)}</Badge> : null}
            <span className="small">
              v{inst.version} ·{' '}
              {t('installedOn', { date: formatDateTime(inst.installedAt, i18n.language, session.account.timeZone, true) })}
              {inst.createdBy ? ` · ${t('by', { name: bidi(inst.createdBy, i18n.language) })}` : ''}
            </span>
          </span>
        }
      />
      <div className="stack">
        {justInstalled && inst.status === 'active' ? (
          <Alert tone="ok" title={t('installedTitle', { name: bidi(inst.name, i18n.language) })}>
            {t('installedNext')}
            {held.length ? ` ${t('someHeld', { count: held.length })}` : ''}
          </Alert>
        ) : null}
        {inst.status === 'paused' ? <PausedPanel inst={inst} /> : null}

        <Card title={t('itsAgentsTitle')}>
          <ul className="items">
            {inst.agents.map((a) => (
              <li key={a.id} className="sub stack">
                <div className="item-row">
                  <Link className="title" to={`/agents/${a.id}`}>
                    {a.name}
                  </Link>
                  {child || inst.status !== 'active' ? (
                    a.enabled ? (
                      <Badge tone="ok">{t('agentOn')}</Badge>
                    ) : (
                      <Badge>{t('agentOff')}</Badge>
                    )
                  ) : null}
                </div>
                <span className="small" dir="auto">
                  {a.description}
                </span>
                <span className="small muted">{a.triggers.map((tr) => describeTrigger(tr, t, i18n.language)).join(t('or'))}</span>
                {!child && inst.status === 'active' ? (
                  <div className="agent-controls">
                    <AgentSwitch agent={a} />
                    {a.enabled && canRunNow(a) ? <RunNowButton agent={a} size="small" /> : null}
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </Card>

        {!child ? <SettingsCard key={inst.id} inst={inst} /> : null}

        <Card title={t('allowedTitle')}>
          <ul className="items">
            {inst.grantedScopes.map((s) => (
              <li key={s.scope} className="item-row">
                <span>{scopeLabel(s)}</span>
                <RiskBadge risk={s.risk} />
              </li>
            ))}
          </ul>
          {!child ? <LocalOnly inst={inst} /> : null}
        </Card>

        {!child ? (
          <Card title={t('manageTitle')}>
            {inst.status === 'active' ? (
              <div className="stack">
                <p className="muted">{t('pauseHint')}</p>
                <div>
                  <Button busy={pause.isPending} onClick={() => pause.mutate()}>
                    {t('pause')}
                  </Button>
                </div>
                {pause.isError ? <ErrorNotice error={pause.error} /> : null}
              </div>
            ) : null}
            <p className="muted">{t('uninstallHint')}</p>
            <div>
              <ConfirmButton
                question={t('uninstallQuestion', { name: bidi(inst.name, i18n.language) })}
                confirmLabel={t('uninstallYes')}
                cancelLabel={t('cancel', { ns: 'common' })}
                busy={uninstall.isPending}
                onConfirm={() => uninstall.mutate()}
              >
                {t('uninstall')}
              </ConfirmButton>
            </div>
            {uninstall.isError ? <ErrorNotice error={uninstall.error} /> : null}
          </Card>
        ) : null}
      </div>
    </>
  );
}
