import type { InstallationView, PackSummary } from '@csme/contracts/packs';
import { listInstallations, listPacks } from '@csme/contracts/packs';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Badge, Card, EmptyState, PageHeader, Spinner } from '../../ui';
import { bidi } from '../../ui/format';
import { describeTrigger } from '../agents/describe';
import { RiskBadge, useScopeLabel } from './scopes';
import { InstallationStatus } from './status';

const usePacks = () => useQuery({ queryKey: ['packs'], queryFn: () => api(listPacks) });
export const useInstallations = () => useQuery({ queryKey: ['installations'], queryFn: () => api(listInstallations, { query: {} }) });

function InstalledCard({ inst }: { inst: InstallationView }) {
  const { t, i18n } = useTranslation('packs');
  const on = inst.agents.filter((a) => a.enabled).length;
  return (
    <Card as="article">
      <div className="pack-head">
        <span className="icon" aria-hidden="true">
          {inst.icon}
        </span>
        <div className="stack" style={{ gap: 'var(--space-1)' }}>
          <h3>{inst.name}</h3>
          <div className="row">
            <InstallationStatus inst={inst} />
            <span className="muted small">{t('agentsOn', { on, count: inst.agents.length })}</span>
          </div>
        </div>
      </div>
      <div>
        <Link className="button small" to={`/installations/${inst.id}`}>
          {t('manage', { name: bidi(inst.name, i18n.language) })}
        </Link>
      </div>
    </Card>
  );
}

function PackCard({ pack }: { pack: PackSummary }) {
  const { t, i18n } = useTranslation(['packs', 'agents']);
  const scopeLabel = useScopeLabel();
  const installed = pack.installedAs.filter((i) => i.status !== 'uninstalled');
  return (
    <Card as="article">
      <div className="pack-head">
        <span className="icon" aria-hidden="true">
          {pack.icon}
        </span>
        <div>
          <h3>{pack.name}</h3>
          <div className="row small muted">
            <span>{t('forPersona', { persona: t(`personas.${pack.persona}`, { defaultValue: pack.persona }) })}</span>
            <span>v{pack.version}</span>
            {installed.length ? <Badge tone="ok">{t('installed')}</Badge> : null}
          </div>
        </div>
      </div>
      <p dir="auto">{pack.description}</p>
      <div>
        <h4 className="small">{t('itsAgents', { count: pack.agents.length })}</h4>
        <ul className="small">
          {pack.agents.map((a) => (
            <li key={a.key}>
              <strong>{a.name}</strong>: {a.triggers.map((tr) => describeTrigger(tr, t, i18n.language)).join(t('or'))}
              {a.needsPlan ? <span className="muted"> — {t('needsPlan')}</span> : null}
            </li>
          ))}
        </ul>
      </div>
      <div>
        <h4 className="small">{t('whatItNeeds')}</h4>
        {pack.scopes.length ? (
          <ul className="small">
            {pack.scopes.map((s) => (
              <li key={s.scope}>
                {scopeLabel(s)} <RiskBadge risk={s.risk} />
              </li>
            ))}
          </ul>
        ) : (
          <p className="small muted">{t('needsNothing')}</p>
        )}
        {pack.connectors.length ? (
          <p className="small">
            {t('connectorsNeeded')}: {pack.connectors.map((c) => t(`connectorKinds.${c.kind}`, { defaultValue: c.kind })).join(', ')}
          </p>
        ) : null}
      </div>
      <div className="row">
        <Link className={`button small${installed.length ? '' : ' primary'}`} to={`/packs/${pack.id}`}>
          {installed.length
            ? t('seePack', { name: bidi(pack.name, i18n.language) })
            : t('seeAndInstall', { name: bidi(pack.name, i18n.language) })}
        </Link>
      </div>
    </Card>
  );
}

export function PacksPage() {
  const { t } = useTranslation('packs');
  const packs = usePacks();
  const installations = useInstallations();
  const installed = installations.data?.items ?? [];
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        {installations.isError ? <ErrorNotice error={installations.error} onRetry={() => installations.refetch()} /> : null}
        {installations.data && !installed.length ? <Alert title={t('noneInstalled')}>{t('noneInstalledHint')}</Alert> : null}
        {installed.length ? (
          <section className="stack" aria-labelledby="installed-h">
            <h2 id="installed-h">{t('installedSection')}</h2>
            <div className="grid">
              {installed.map((i) => (
                <InstalledCard key={i.id} inst={i} />
              ))}
            </div>
          </section>
        ) : null}
        <section className="stack" aria-labelledby="catalog-h">
          <h2 id="catalog-h">{t('catalogTitle')}</h2>
          {packs.isPending || installations.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
          {packs.isError ? <ErrorNotice error={packs.error} onRetry={() => packs.refetch()} /> : null}
          {packs.data && !packs.data.items.length ? <EmptyState title={t('emptyCatalog')}>{t('emptyCatalogHint')}</EmptyState> : null}
          <div className="grid">
            {packs.data?.items.map((p) => (
              <PackCard key={p.id} pack={p} />
            ))}
          </div>
        </section>
      </div>
    </>
  );
}
