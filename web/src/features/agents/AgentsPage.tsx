import type { AgentView } from '@csme/contracts/packs';
import { listAgents } from '@csme/contracts/packs';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Card, EmptyState, PageHeader, Spinner } from '../../ui';
import { bidi, formatDateTime, formatRelative } from '../../ui/format';
import { useInstallations } from '../packs/PacksPage';
import { AgentSwitch, canRunNow, RunNowButton } from './AgentControls';
import { describeTrigger } from './describe';

export const useAgents = () => useQuery({ queryKey: ['agents'], queryFn: () => api(listAgents) });

/** When an agent runs next, in the person's time zone and language. */
export function NextRun({ agent }: { agent: AgentView }) {
  const { t, i18n } = useTranslation('agents');
  const session = useShellSession();
  if (!agent.nextRunAt) return null;
  return (
    <span>
      {t('nextRun', {
        when: formatDateTime(agent.nextRunAt, i18n.language, session.account.timeZone),
        relative: formatRelative(agent.nextRunAt, i18n.language),
      })}
    </span>
  );
}

function AgentRow({ agent, packActive }: { agent: AgentView; packActive: boolean }) {
  const { t, i18n } = useTranslation('agents');
  const session = useShellSession();
  const child = session.activeSpace.role === 'child';
  return (
    <li className="sub stack">
      <div className="item-row">
        <Link className="title" to={`/agents/${agent.id}`}>
          {agent.name}
        </Link>
        {child || !packActive ? agent.enabled ? <Badge tone="ok">{t('on')}</Badge> : <Badge>{t('off')}</Badge> : null}
      </div>
      <span className="small" dir="auto">
        {agent.description}
      </span>
      <p className="meta">
        <span>{agent.triggers.map((tr) => describeTrigger(tr, t, i18n.language)).join(t('or'))}</span>
        <NextRun agent={agent} />
      </p>
      {!child && packActive ? (
        <div className="agent-controls">
          <AgentSwitch agent={agent} />
          {agent.enabled && canRunNow(agent) ? <RunNowButton agent={agent} size="small" /> : null}
        </div>
      ) : null}
    </li>
  );
}

export function AgentsPage() {
  const { t, i18n } = useTranslation('agents');
  const agents = useAgents();
  const installations = useInstallations();
  const paused = new Set((installations.data?.items ?? []).filter((i) => i.status === 'paused').map((i) => i.id));
  const byPack = new Map<string, AgentView[]>();
  for (const a of agents.data?.items ?? []) byPack.set(a.installationId, [...(byPack.get(a.installationId) ?? []), a]);
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      {agents.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {agents.isError ? <ErrorNotice error={agents.error} onRetry={() => agents.refetch()} /> : null}
      {agents.data && !agents.data.items.length ? (
        <EmptyState
          title={t('empty')}
          action={
            <Link className="button primary" to="/packs">
              {t('browsePacks')}
            </Link>
          }
        >
          {t('emptyHint')}
        </EmptyState>
      ) : null}
      <div className="stack">
        {[...byPack.values()].map((list) => {
          const first = list[0]!;
          return (
            <Card
              key={first.installationId}
              title={
                <>
                  <span aria-hidden="true">{first.packIcon}</span> {first.packName}
                </>
              }
            >
              {paused.has(first.installationId) ? <Alert tone="warn">{t('packPaused')}</Alert> : null}
              <Link className="small" to={`/installations/${first.installationId}`}>
                {t('packSettings', { name: bidi(first.packName, i18n.language) })}
              </Link>
              <ul className="items">
                {list.map((a) => (
                  <AgentRow key={a.id} agent={a} packActive={!paused.has(first.installationId)} />
                ))}
              </ul>
            </Card>
          );
        })}
      </div>
    </>
  );
}
