import type { AgentView } from '@csme/contracts/packs';
import { updateAgent } from '@csme/contracts/packs';
import { runAgentNow } from '@csme/contracts/runs';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiError, api } from '../../api/client';
import { Button, Switch } from '../../ui';
import { bidi } from '../../ui/format';
import { ProblemNotice } from '../plans/Offers';
import { disabledReasonText } from './describe';

/** After an agent changes: every list that shows agents or counts them. */
export function useAgentsChanged() {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['agents'] }),
      qc.invalidateQueries({ queryKey: ['installations'] }),
      qc.invalidateQueries({ queryKey: ['usage'] }),
    ]);
}

/** The on/off switch of an agent; a plan refusal (402) shows the reason and the offers under it. */
export function AgentSwitch({ agent, label }: { agent: AgentView; label?: string }) {
  const { t, i18n } = useTranslation('agents');
  const changed = useAgentsChanged();
  const m = useMutation({
    mutationFn: (enabled: boolean) => api(updateAgent, { params: { agentId: agent.id }, body: { enabled } }),
    onSuccess: () => changed(),
  });
  const reason = agent.enabled ? null : disabledReasonText(agent.disabledReason, t);
  return (
    <div className="stack">
      <Switch
        label={label ?? t('switchLabel', { name: bidi(agent.name, i18n.language) })}
        checked={agent.enabled}
        busy={m.isPending}
        onChange={(on) => m.mutate(on)}
        hint={reason ?? undefined}
      />
      {!agent.enabled && agent.disabledReason?.startsWith('needs_plan:') ? <Link to="/plans">{t('comparePlans')}</Link> : null}
      {m.isError ? <ProblemNotice error={m.error} /> : null}
    </div>
  );
}

export const canRunNow = (a: AgentView) => a.triggers.some((tr) => tr.type === 'manual');

/** "Run now": queues a manual run and opens its page, where its steps appear as they happen. */
export function RunNowButton({ agent, size }: { agent: AgentView; size?: 'small' }) {
  const { t, i18n } = useTranslation('agents');
  const navigate = useNavigate();
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => api(runAgentNow, { params: { agentId: agent.id }, body: {} }),
    onSuccess: (run) => {
      void qc.invalidateQueries({ queryKey: ['runs'] });
      void qc.invalidateQueries({ queryKey: ['usage'] });
      navigate(`/runs/${run.id}`);
    },
  });
  const refusedRunId = m.error instanceof ApiError ? (m.error.details as { runId?: string } | undefined)?.runId : undefined;
  return (
    <div className="stack">
      <div>
        <Button
          size={size}
          variant="primary"
          busy={m.isPending}
          onClick={() => m.mutate()}
          aria-label={t('runNowNamed', { name: bidi(agent.name, i18n.language) })}
        >
          {t('runNow')}
        </Button>
      </div>
      {m.isError ? <ProblemNotice error={m.error} /> : null}
      {refusedRunId ? <Link to={`/runs/${refusedRunId}`}>{t('seeRefusedRun')}</Link> : null}
    </div>
  );
}
