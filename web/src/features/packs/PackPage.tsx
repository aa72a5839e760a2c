import type { PackDetail } from '@csme/contracts/packs';
import { getPack, installPack } from '@csme/contracts/packs';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Card, EmptyState, PageHeader, Spinner } from '../../ui';
import { bidi } from '../../ui/format';
import { describeTrigger } from '../agents/describe';
import { ProblemNotice } from '../plans/Offers';
import { initialRaw, type JsonSchema, parseRaw, type RawValues, SchemaForm, serverSettingsErrors, useProblemText } from './SchemaForm';
import { RiskBadge, useScopeLabel } from './scopes';

/** The consent screen: exactly the scopes and connectors the pack asks for, and what each agent does. */
function Consent({ pack }: { pack: PackDetail }) {
  const { t, i18n } = useTranslation(['packs', 'agents']);
  const scopeLabel = useScopeLabel();
  return (
    <Card title={t('consentTitle', { name: bidi(pack.name, i18n.language) })}>
      <p>{t('consentLead')}</p>
      {pack.scopes.length ? (
        <ul className="items" aria-label={t('scopesList')}>
          {pack.scopes.map((s) => (
            <li key={s.scope} className="item-row">
              <span>{scopeLabel(s)}</span>
              <RiskBadge risk={s.risk} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{t('needsNothing')}</p>
      )}
      <h3>{t('connectorsTitle')}</h3>
      {pack.connectors.length ? (
        <ul>
          {pack.connectors.map((c) => (
            <li key={c.kind}>
              <strong>{t(`connectorKinds.${c.kind}`, { defaultValue: c.kind })}</strong>
              {c.optional ? ` (${t('optional')})` : ''}: {c.why}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{t('noConnectors')}</p>
      )}
      <h3>{t('agentsTitle')}</h3>
      <ul className="items">
        {pack.agents.map((a) => (
          <li key={a.key} className="stack" style={{ gap: 'var(--space-1)' }}>
            <strong>{a.name}</strong>
            <span>{a.description}</span>
            <span className="small muted">{a.triggers.map((tr) => describeTrigger(tr, t, i18n.language)).join(t('or'))}</span>
            {a.needsPlan ? (
              <span className="small">
                <Badge tone="warn">{t('needsPlanBadge')}</Badge> {t('needsPlanExplain')}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      <p className="small muted">{t('consentFoot')}</p>
    </Card>
  );
}

function InstallForm({ pack }: { pack: PackDetail }) {
  const { t } = useTranslation('packs');
  const session = useShellSession();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const schema = pack.settingsSchema as JsonSchema;
  const [raw, setRaw] = useState<RawValues>(() => initialRaw(schema));
  const [visibility, setVisibility] = useState<'shared' | 'private'>('shared');
  const [problems, setProblems] = useState<Record<string, ReturnType<typeof parseRaw>['problems'][string]>>({});
  const problemText = useProblemText();
  const family = session.activeSpace.kind === 'family';
  const m = useMutation({
    mutationFn: (settings: Record<string, unknown>) =>
      api(installPack, {
        params: { packId: pack.id },
        body: {
          settings,
          grantedScopes: pack.scopes.map((s) => s.scope),
          ...(family ? { visibility } : {}),
        },
      }),
    onSuccess: async (inst) => {
      await Promise.all(['packs', 'installations', 'agents', 'usage'].map((k) => qc.invalidateQueries({ queryKey: [k] })));
      navigate(`/installations/${inst.id}`, { state: { installed: true } });
    },
  });
  const serverErrors = serverSettingsErrors(m.error);
  const errors: Record<string, string | undefined> = { ...serverErrors };
  for (const [k, p] of Object.entries(problems)) errors[k] = problemText(p);
  const otherError = m.isError && !Object.keys(serverErrors).length;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = parseRaw(schema, raw);
    setProblems(r.problems);
    if (Object.keys(r.problems).length) {
      document.getElementById('settings-h')?.scrollIntoView({ block: 'start' });
      return;
    }
    m.mutate(r.values);
  };
  return (
    <form className="stack" noValidate onSubmit={submit}>
      <Card>
        <h2 id="settings-h">{t('settingsTitle')}</h2>
        <p className="muted">{t('settingsLead')}</p>
        <SchemaForm schema={schema} raw={raw} onChange={setRaw} errors={errors} />
      </Card>
      {family ? (
        <Card>
          <fieldset className="stack plain">
            <legend>
              <h2>{t('visibilityTitle')}</h2>
            </legend>
            <label className="choice">
              <input type="radio" name="visibility" checked={visibility === 'shared'} onChange={() => setVisibility('shared')} />
              <span>
                <strong>{t('shared')}</strong> — {t('sharedHint')}
              </span>
            </label>
            <label className="choice">
              <input type="radio" name="visibility" checked={visibility === 'private'} onChange={() => setVisibility('private')} />
              <span>
                <strong>{t('private')}</strong> — {t('privateHint')}
              </span>
            </label>
          </fieldset>
        </Card>
      ) : null}
      {otherError ? <ProblemNotice error={m.error} /> : null}
      {Object.keys(problems).length || Object.keys(serverErrors).length ? <Alert tone="error">{t('fixSettings')}</Alert> : null}
      <div className="row">
        <Button type="submit" variant="primary" busy={m.isPending}>
          {t('allowAndInstall')}
        </Button>
        <Link to="/packs">{t('notNow')}</Link>
      </div>
    </form>
  );
}

export function PackPage() {
  const { packId = '' } = useParams();
  const { t } = useTranslation('packs');
  const session = useShellSession();
  const pack = useQuery({ queryKey: ['packs', packId], queryFn: () => api(getPack, { params: { packId } }) });
  if (pack.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (pack.isError) {
    if (pack.error instanceof ApiError && pack.error.code === 'not_found')
      return (
        <EmptyState title={t('packNotFound')} action={<Link to="/packs">{t('backToPacks')}</Link>}>
          {t('packNotFoundHint')}
        </EmptyState>
      );
    return <ErrorNotice error={pack.error} onRetry={() => pack.refetch()} />;
  }
  const p = pack.data;
  const installed = p.installedAs.filter((i) => i.status !== 'uninstalled');
  const mayInstallAgain = session.activeSpace.kind === 'family' && installed.length < 2;
  const child = session.activeSpace.role === 'child';
  return (
    <>
      <p>
        <Link to="/packs">← {t('backToPacks')}</Link>
      </p>
      <PageHeader
        title={`${p.icon} ${p.name}`}
        description={
          <>
            {p.description}{' '}
            <span className="small">
              ({t('forPersona', { persona: t(`personas.${p.persona}`, { defaultValue: p.persona }) })}, v{p.version})
            </span>
          </>
        }
      />
      <div className="stack">
        {installed.length ? (
          <Alert tone="ok">
            {t('alreadyInstalled')}{' '}
            {installed.map((i) => (
              <Link key={i.installationId} to={`/installations/${i.installationId}`}>
                {t('manageIt')}
                {installed.length > 1 ? ` (${t(i.visibility)})` : ''}
              </Link>
            ))}
          </Alert>
        ) : null}
        <Consent pack={p} />
        {child ? <Alert>{t('childCannotInstall')}</Alert> : null}
        {!child && (!installed.length || mayInstallAgain) ? <InstallForm pack={p} /> : null}
      </div>
    </>
  );
}
