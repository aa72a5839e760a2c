import type { AgentView, TriggerView } from '@csme/contracts/packs';
import type { AgentManifest, PackManifest, Trigger } from '@csme/sdk';
import type { ModuleDef } from '#core/module.js';
import { findSkill } from '#core/skill.js';
import { type AgentSchedule, describeSchedule } from './agents.policy.js';
import type { AgentListRow } from './agents.repository.js';

const EVENT_LABELS: Record<string, string> = {
  'email.received': 'When new mail arrives',
  'calendar.event_upcoming': 'Before a calendar event',
  'calendar.event_changed': 'When a calendar event changes',
  'feed.item': 'When a feed has a new item',
  'document.uploaded': 'When you upload a document',
  'task.created': 'When a task is created',
  'task.completed': 'When a task is done',
  'list.item_added': 'When an item is added to a list',
  'reminder.due': 'When a reminder is due',
  'invoice.overdue': 'When an invoice is overdue',
};

export function triggerLabel(t: Trigger): string {
  switch (t.type) {
    case 'manual':
      return 'When you run it';
    case 'webhook':
      return 'When its webhook URL is called';
    case 'event': {
      const base = EVENT_LABELS[t.event] ?? t.event;
      return t.offsetMinutes ? `${t.offsetMinutes} minutes before a calendar event` : base;
    }
    case 'schedule':
      return t.cron
        ? describeSchedule({ cron: t.cron, timeZone: t.timeZone === 'person' ? 'your time zone' : t.timeZone })
        : `On a schedule (${t.rrule})`;
  }
}

/**
 * A trigger for the API: its English label plus the facts a client needs to say it in another language.
 * With `schedule` (an installed agent's), the schedule trigger shows the rule and zone it really runs on.
 */
export function triggerView(t: Trigger, schedule?: AgentSchedule | null): TriggerView {
  switch (t.type) {
    case 'manual':
    case 'webhook':
      return { type: t.type, label: triggerLabel(t) };
    case 'event':
      return {
        type: t.type,
        label: triggerLabel(t),
        event: t.event,
        ...(t.offsetMinutes !== undefined ? { offsetMinutes: t.offsetMinutes } : {}),
      };
    case 'schedule': {
      const s = schedule ?? { cron: t.cron, rrule: t.rrule, timeZone: t.timeZone };
      return {
        type: t.type,
        label: schedule ? describeSchedule(schedule) : triggerLabel(t),
        ...(s.cron ? { cron: s.cron } : {}),
        ...(s.rrule ? { rrule: s.rrule } : {}),
        timeZone: s.timeZone,
      };
    }
  }
}

/** The plan an agent needs beyond Free: incoming webhooks and outgoing HTTP need all connectors. */
export function neededPlan(a: AgentManifest, manifest: PackManifest): string | null {
  if (a.triggers.some((t) => t.type === 'webhook')) return 'pro';
  const usesHttp = a.steps.some(
    (s) => ('skill' in s && s.skill.startsWith('http.')) || ('code' in s && s.skills.some((k) => k.startsWith('http.'))),
  );
  if (usesHttp && manifest.scopes.includes('http:request')) return 'pro';
  return null;
}

/** The action types an agent can propose (act skills it calls), for the policy controls. */
export function actionTypesOf(a: AgentManifest, modules: readonly ModuleDef[]): string[] {
  const ids = a.steps.flatMap((s) => ('skill' in s ? [s.skill] : 'code' in s ? s.skills : [s.fallback.skill]));
  const types = new Set<string>();
  for (const id of ids) {
    const sk = findSkill(modules, id);
    if (sk?.kind === 'act' && sk.actionType) types.add(sk.actionType);
  }
  return [...types];
}

export function presentAgent(r: AgentListRow, modules: readonly ModuleDef[]): AgentView {
  const manifest = r.manifest as PackManifest;
  const def = manifest.agents.find((a) => a.id === r.agent_key);
  const schedule = r.schedule as AgentSchedule | null;
  return {
    id: r.id,
    key: r.agent_key,
    name: def?.name ?? r.agent_key,
    description: def?.description ?? '',
    installationId: r.installation_id,
    packId: r.pack_id,
    packName: manifest.name,
    packIcon: manifest.icon,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    triggers: (def?.triggers ?? []).map((t) => triggerView(t, schedule)),
    schedule: schedule ? describeSchedule(schedule) : null,
    nextRunAt: r.enabled && r.installation_status === 'active' ? (r.next_run_at?.toISOString() ?? null) : null,
    hasWebhook: r.webhook_token_hash !== null,
    policies: { ...(def?.policies ?? {}), ...((r.policies as Record<string, 'suggest' | 'auto' | 'never'>) ?? {}) },
    actionTypes: def ? actionTypesOf(def, modules) : [],
    storePayloads: r.store_payloads,
    visibility: r.visibility as AgentView['visibility'],
  };
}
