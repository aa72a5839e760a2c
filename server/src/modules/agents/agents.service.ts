import type { AgentView } from '@csme/contracts/packs';
import type { AgentManifest, PackManifest } from '@csme/sdk';
import { randomToken, sha256 } from '#core/crypto.js';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import type { UsageMeter } from '#core/module.js';
import { logActivity } from '#modules/activity/index.js';
import { assertWithinLimit, type Entitlements, getEntitlements, limitError, lockSpaceForLimits } from '#modules/plans/index.js';
import { type AgentSchedule, cronAt, nextFireTime, validateSchedule } from './agents.policy.js';
import { neededPlan, presentAgent } from './agents.presenter.js';
import { countEnabledAgents, insertAgents, listAgentsWithPack, updateAgent as updateAgentRow } from './agents.repository.js';

function scheduleFor(def: AgentManifest, settings: Record<string, unknown>, personTimeZone: string): AgentSchedule | null {
  const t = def.triggers.find((x) => x.type === 'schedule');
  if (t?.type !== 'schedule') return null;
  const timeZone = t.timeZone === 'person' ? personTimeZone : t.timeZone;
  const hhmm = t.timeSetting ? settings[t.timeSetting] : undefined;
  if (t.cron) return { cron: cronAt(t.cron, typeof hhmm === 'string' ? hhmm : undefined), timeZone };
  return { rrule: t.rrule, timeZone };
}

/** Checks every schedule of a manifest can fire; returns readable problems (install refuses with them). */
export function scheduleProblems(manifest: PackManifest, settings: Record<string, unknown>, timeZone: string): string[] {
  const out: string[] = [];
  for (const a of manifest.agents) {
    const s = scheduleFor(a, settings, timeZone);
    const p = s ? validateSchedule(s) : null;
    if (p) out.push(`agent ${a.id}: ${p}`);
  }
  return out;
}

export interface NewInstallationAgents {
  spaceId: string;
  installationId: string;
  ownerAccountId: string;
  visibility: 'shared' | 'private';
  manifest: PackManifest;
  settings: Record<string, unknown>;
  timeZone: string;
  /** Which agents to turn on; default: those the manifest enables by default. */
  enableKeys?: readonly string[];
  ent: Entitlements;
  /** Enabled agents of the space right now, every member's counted (pooled limits). */
  enabledNow: number;
  now: Date;
}

/**
 * Creates the agents of a new installation (in the caller's transaction, with the space locked for
 * limits). Agents go on as asked while the plan has room; the rest start off, saying why.
 */
export async function createAgentsForInstallation(db: Db, n: NewInstallationAgents): Promise<{ enabled: number; held: string[] }> {
  let room = Math.max(0, n.ent.limits.agents - n.enabledNow);
  const held: string[] = [];
  const rows = n.manifest.agents.map((def) => {
    const wanted = n.enableKeys ? n.enableKeys.includes(def.id) : def.enabledByDefault;
    const plan = neededPlan(def, n.manifest);
    const planOk = !plan || n.ent.limits.connectors === 'all';
    let enabled = false;
    let reason: string | null = wanted ? null : 'person';
    if (wanted && !planOk) reason = `needs_plan:${plan}`;
    else if (wanted && room <= 0) {
      reason = 'plan_limit';
      held.push(def.id);
    } else if (wanted) {
      enabled = true;
      room--;
    }
    const schedule = scheduleFor(def, n.settings, n.timeZone);
    return {
      id: newId(),
      space_id: n.spaceId,
      owner_account_id: n.ownerAccountId,
      visibility: n.visibility,
      installation_id: n.installationId,
      agent_key: def.id,
      enabled,
      disabled_reason: reason,
      event_types: def.triggers.flatMap((t) => (t.type === 'event' ? [t.event] : [])),
      schedule: schedule ? JSON.stringify(schedule) : null,
      next_run_at: schedule && enabled ? nextFireTime(schedule, n.now) : null,
      created_at: n.now,
      updated_at: n.now,
    };
  });
  await insertAgents(db, rows);
  return { enabled: rows.filter((r) => r.enabled).length, held };
}

/** Recomputes schedules after a settings change (a new briefing time) for one installation. */
export async function rescheduleInstallation(
  db: Db,
  spaceId: string,
  installationId: string,
  manifest: PackManifest,
  settings: Record<string, unknown>,
  timeZone: string,
  now: Date,
) {
  const rows = await listAgentsWithPack(db, spaceId, installationId);
  for (const r of rows) {
    const def = manifest.agents.find((a) => a.id === r.agent_key);
    const schedule = def ? scheduleFor(def, settings, timeZone) : null;
    await updateAgentRow(db, spaceId, r.id, {
      schedule: schedule ? JSON.stringify(schedule) : null,
      next_run_at: schedule && r.enabled ? nextFireTime(schedule, now) : null,
      updated_at: now,
    });
  }
}

export async function listAgents(ctx: ActorCtx): Promise<AgentView[]> {
  return inSpace(ctx, async (c) => (await listAgentsWithPack(c.db, ctx.actor.spaceId)).map((r) => presentAgent(r, ctx.deps.modules)));
}

export async function listAgentsOfInstallation(ctx: ActorCtx, installationId: string): Promise<AgentView[]> {
  return inSpace(ctx, async (c) =>
    (await listAgentsWithPack(c.db, ctx.actor.spaceId, installationId)).map((r) => presentAgent(r, ctx.deps.modules)),
  );
}

async function getRow(ctx: ActorCtx, agentId: string) {
  const row = (await listAgentsWithPack(ctx.db, ctx.actor.spaceId)).find((r) => r.id === agentId);
  if (!row) throw new AppError('not_found', 'That agent was not found.');
  return row;
}

export async function getAgent(ctx: ActorCtx, agentId: string): Promise<AgentView> {
  return inSpace(ctx, async (c) => presentAgent(await getRow(c, agentId), ctx.deps.modules));
}

function assertMayConfigure(ctx: ActorCtx) {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can change agents.', { reason: 'child' });
}

/** Turns an agent on or off, sets its policies per action type, and whether its step payloads are stored. */
export async function updateAgent(
  ctx: ActorCtx,
  agentId: string,
  patch: { enabled?: boolean; policies?: Record<string, 'suggest' | 'auto' | 'never'>; storePayloads?: boolean },
): Promise<AgentView> {
  assertMayConfigure(ctx);
  await inSpace(ctx, async (c) => {
    const row = await getRow(c, agentId);
    const now = ctx.now();
    const manifest = row.manifest as PackManifest;
    const def = manifest.agents.find((a) => a.id === row.agent_key);
    if (patch.enabled === true && !row.enabled) {
      if (row.installation_status !== 'active') throw new AppError('conflict', 'Resume its pack first: the whole pack is paused.');
      // Pooled limits: count every member's agents, as the system, under a lock on the space.
      await lockSpaceForLimits(c.db, ctx.actor.spaceId);
      const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, now);
      const plan = def ? neededPlan(def, manifest) : null;
      if (plan && ent.limits.connectors !== 'all') throw await limitError(ctx.deps.db, ent, 'connectors', 0);
      await assertWithinLimit(ctx.deps.db, ent, 'agents', await countEnabledAgents(ctx.deps.db, ctx.actor.spaceId));
    }
    const enabled = patch.enabled ?? row.enabled;
    const schedule = row.schedule as AgentSchedule | null;
    const policies = patch.policies ? { ...((row.policies as object) ?? {}), ...patch.policies } : undefined;
    await updateAgentRow(c.db, ctx.actor.spaceId, agentId, {
      enabled,
      disabled_reason: enabled ? null : patch.enabled === false ? 'person' : row.disabled_reason,
      next_run_at: enabled && schedule ? nextFireTime(schedule, now) : null,
      ...(policies ? { policies: JSON.stringify(policies) } : {}),
      ...(patch.storePayloads !== undefined ? { store_payloads: patch.storePayloads } : {}),
      updated_at: now,
    });
    const changes = [
      patch.enabled !== undefined && patch.enabled !== row.enabled ? (patch.enabled ? 'turned on' : 'turned off') : null,
      patch.policies
        ? `policies ${Object.entries(patch.policies)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : null,
      patch.storePayloads !== undefined ? `store step payloads: ${patch.storePayloads ? 'yes' : 'no'}` : null,
    ].filter(Boolean);
    if (changes.length) {
      await logActivity(
        c.db,
        {
          spaceId: ctx.actor.spaceId,
          ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
          actorKind: 'person',
          actorAccountId: ctx.actor.accountId,
          agentId,
          kind: 'settings.changed',
          objectType: 'agent',
          objectId: agentId,
          summary: `${def?.name ?? row.agent_key}: ${changes.join('; ')}`,
          data: { enabled: patch.enabled ?? null, policies: patch.policies ?? null, storePayloads: patch.storePayloads ?? null },
        },
        now,
      );
    }
  });
  return getAgent(ctx, agentId);
}

/** A new secret webhook URL for an agent (the old one stops working). Shown once; only its hash is kept. */
export async function createWebhookUrl(ctx: ActorCtx, agentId: string, hmac: boolean): Promise<{ url: string; hmacSecret: string | null }> {
  assertMayConfigure(ctx);
  return inSpace(ctx, async (c) => {
    const row = await getRow(c, agentId);
    const def = (row.manifest as PackManifest).agents.find((a) => a.id === row.agent_key);
    if (!def?.triggers.some((t) => t.type === 'webhook')) throw new AppError('conflict', 'This agent does not take webhooks.');
    const token = randomToken(32);
    const secret = hmac ? randomToken(32) : null;
    await updateAgentRow(c.db, ctx.actor.spaceId, agentId, {
      webhook_token_hash: sha256(token),
      webhook_secret: secret
        ? await ctx.deps.vault.encryptString({ spaceId: ctx.actor.spaceId, purpose: 'agent.webhook-secret', recordId: agentId }, secret)
        : null,
      updated_at: ctx.now(),
    });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        agentId,
        kind: 'settings.changed',
        objectType: 'agent',
        objectId: agentId,
        summary: `${def.name}: created a new webhook URL${hmac ? ' with a signing secret' : ''}`,
      },
      ctx.now(),
    );
    return { url: `${ctx.deps.config.http.publicUrl}/webhooks/${token}`, hmacSecret: secret };
  });
}

/**
 * Pauses agents over the plan's agent limit (newest first), never deleting; used after a plan change.
 * Agents held back for the plan are not turned on again by themselves: the person chooses.
 */
export async function enforceAgentLimit(ctx: Ctx, spaceId: string, limit: number): Promise<void> {
  const rows = await ctx.db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .select(['a.id'])
    .where('a.space_id', '=', spaceId)
    .where('a.enabled', '=', true)
    .where('i.status', '=', 'active')
    .orderBy('a.created_at', 'desc')
    .execute();
  const over = rows.slice(0, Math.max(0, rows.length - limit));
  for (const r of over)
    await updateAgentRow(ctx.db, spaceId, r.id, {
      enabled: false,
      disabled_reason: 'plan_limit',
      next_run_at: null,
      updated_at: ctx.now(),
    });
}

/**
 * When a plan has room again (an upgrade, or a payment that lifts a restriction): agents the plan turned
 * off come back, oldest first, within the agent limit; those held for a plan with all connectors come
 * back when the plan has them. Agents the person turned off stay off.
 */
export async function restoreAgents(ctx: Ctx, spaceId: string, limits: { agents: number; connectors: 'basic' | 'all' }): Promise<number> {
  const held = await ctx.db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .select(['a.id', 'a.disabled_reason', 'a.schedule'])
    .where('a.space_id', '=', spaceId)
    .where('a.enabled', '=', false)
    .where('i.status', '=', 'active')
    .where((eb) => eb.or([eb('a.disabled_reason', '=', 'plan_limit'), eb('a.disabled_reason', 'like', 'needs_plan:%')]))
    .orderBy('a.created_at')
    .execute();
  let room = limits.agents - (await countEnabledAgents(ctx.db, spaceId));
  let restored = 0;
  for (const a of held) {
    if (room <= 0) break;
    if (a.disabled_reason?.startsWith('needs_plan:') && limits.connectors !== 'all') continue;
    const schedule = a.schedule as AgentSchedule | null;
    await updateAgentRow(ctx.db, spaceId, a.id, {
      enabled: true,
      disabled_reason: null,
      next_run_at: schedule ? nextFireTime(schedule, ctx.now()) : null,
      updated_at: ctx.now(),
    });
    room--;
    restored++;
  }
  return restored;
}

export const agentsMeter: UsageMeter = (db, spaceId, under) => countEnabledAgents(db, spaceId, under?.packs);
