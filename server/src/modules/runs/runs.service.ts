import type { Offer } from '@csme/contracts/errors';
import type { RunDetail, RunSummary } from '@csme/contracts/runs';
import { type AgentManifest, applyVariant, evaluateCondition, getPath, type PackManifest, resolveTemplate, type Step } from '@csme/sdk';
import { type Insertable, sql } from 'kysely';
import { z } from 'zod';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace, inTransaction } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import type { RunStep } from '#core/db.types.js';
import { AppError, isAppError, isDatabaseUnavailable } from '#core/errors.js';
import { crashPoint } from '#core/faults.js';
import { newId } from '#core/ids.js';
import type { JobHelpers } from '#core/jobs.js';
import { addJob } from '#core/jobs.js';
import { createSkillContext, findSkill, invokeSkill, type SkillContext, type SkillDef } from '#core/skill.js';
import { type AgentSchedule, findAgentWithPack, listAgentsForEvent, lockDueAgents, nextFireTime } from '#modules/agents/index.js';
import { resolveVariant } from '#modules/lab/index.js';
import { getModelAccess } from '#modules/models/index.js';
import { notify } from '#modules/notifications/index.js';
import { integrityProblem } from '#modules/packs/index.js';
import { type Entitlements, forgetEntitlements, getEntitlements, limitError, stampedEntitlements, takeRuns } from '#modules/plans/index.js';
import { createSuggestion } from '#modules/suggestions/index.js';
import type { Deps } from '../../deps.js';
import { admitDelayedJob, dispatchEventJob, executeRunJob } from './runs.jobs.js';
import { priorityFor, RUN_MAX_ATTEMPTS, storedPayload } from './runs.policy.js';
import {
  type AdmitOutcome,
  type AdmitSpec,
  admitRuns as admitRunsStatement,
  type ClaimedRow,
  claimRunWithAgent,
  failAbandonedRun,
  findEvent,
  findPackVersionFiles,
  findRun,
  findRunIdByTrigger,
  findRunWithAgent,
  finishWithSteps,
  insertEvent,
  insertRun,
  listAbandonedRuns,
  listRuns as listRunRows,
  listSteps,
  markEventDispatched,
  markQuotaNotified,
  recordSteps,
  suggestionIdsOfRun,
  updateRun,
} from './runs.repository.js';
import { type HostCall, runSandboxed } from './sandbox/sandbox.js';

// ---------------------------------------------------------------- events

export interface RaiseEventInput {
  spaceId: string;
  /** The member whose data raised it (their mailbox, their calendar), or the person who acted. */
  ownerAccountId: string;
  /** Private events (a member's own mail) reach only that member's private agents. */
  visibility: 'shared' | 'private';
  /** One of the manifest's EVENT_TYPES, e.g. `email.received`. */
  type: string;
  /** What raised it, e.g. `connector:<id>` or `app:tasks`. */
  source: string;
  /** The same event raised twice (a re-sync, a retried job) is recorded once. */
  dedupeKey: string;
  /** Ids and small facts only (for `calendar.event_upcoming`: `startsAt`, ISO 8601). */
  data: Record<string, unknown>;
}

/**
 * Records an event and queues its dispatch, in the caller's transaction: agents listening to it get
 * a run each. Returns the event id, or null when this event was already recorded.
 */
export async function raiseEvent(ctx: Ctx, e: RaiseEventInput): Promise<string | null> {
  const id = await insertEvent(ctx.db, {
    id: newId(),
    space_id: e.spaceId,
    owner_account_id: e.ownerAccountId,
    visibility: e.visibility,
    type: e.type,
    source: e.source,
    dedupe_key: e.dedupeKey.slice(0, 500),
    data: JSON.stringify(e.data),
    created_at: ctx.now(),
  });
  if (!id) return null;
  await addJob(ctx.db, dispatchEventJob, { spaceId: e.spaceId, eventId: id });
  return id;
}

function eventTrigger(manifest: AgentManifest, type: string) {
  return manifest.triggers.find((t) => t.type === 'event' && t.event === type) as
    | { type: 'event'; event: string; offsetMinutes?: number }
    | undefined;
}

/** Gives each listening agent its run (or, for "30 minutes before" triggers, schedules its admission). */
export async function dispatchEvent(ctx: Ctx, spaceId: string, eventId: string): Promise<void> {
  const ev = await findEvent(ctx.db, spaceId, eventId);
  if (!ev || ev.dispatched_at) return;
  const agents = await listAgentsForEvent(ctx.db, {
    spaceId,
    type: ev.type,
    visibility: ev.visibility,
    ownerAccountId: ev.owner_account_id,
  });
  for (const { id: agentId } of agents) {
    const agent = await findAgentWithPack(ctx.db, spaceId, agentId);
    const def = agent ? agentManifest(agent) : undefined;
    const trigger = def ? eventTrigger(def, ev.type) : undefined;
    if (!agent || !def || !trigger) continue;
    const startsAt =
      typeof (ev.data as { startsAt?: unknown }).startsAt === 'string' ? new Date((ev.data as { startsAt: string }).startsAt) : null;
    if (trigger.offsetMinutes !== undefined && startsAt) {
      const runAt = new Date(startsAt.getTime() - trigger.offsetMinutes * 60_000);
      if (startsAt <= ctx.now()) continue; // it has begun: too late to prepare for it
      if (runAt > ctx.now()) {
        await addJob(
          ctx.db,
          admitDelayedJob,
          { spaceId, agentId, kind: 'event', key: `event:${eventId}`, eventId },
          { runAt, jobKey: `admit:${agentId}:${eventId}` },
        );
        continue;
      }
    }
    await admitRun(ctx, {
      spaceId,
      agentId,
      kind: 'event',
      key: `event:${eventId}`,
      data: { event: { id: ev.id, type: ev.type, data: ev.data } },
    });
  }
  await markEventDispatched(ctx.db, spaceId, eventId, ctx.now());
}

export async function admitDelayed(
  ctx: Ctx,
  p: { spaceId: string; agentId: string; kind: 'event' | 'schedule'; key: string; eventId?: string },
): Promise<void> {
  let data: Record<string, unknown> = {};
  if (p.eventId) {
    const ev = await findEvent(ctx.db, p.spaceId, p.eventId);
    if (!ev) return;
    data = { event: { id: ev.id, type: ev.type, data: ev.data } };
  }
  await admitRun(ctx, { spaceId: p.spaceId, agentId: p.agentId, kind: p.kind, key: p.key, data });
}

// ---------------------------------------------------------------- admission

export interface TriggerInput {
  spaceId: string;
  agentId: string;
  kind: 'schedule' | 'event' | 'webhook' | 'manual';
  /** Dedupe key: the same key never makes two runs of one agent (`event:<id>`, `webhook:<delivery>`, `schedule:<time>`). */
  key: string;
  data: Record<string, unknown>;
  actorAccountId?: string | null;
  /** A webhook delivery: the hash of the URL's token, checked again by the admission statement. */
  webhookTokenHash?: Buffer;
}

export type Admission =
  | { status: 'queued'; runId: string }
  | { status: 'duplicate'; runId: string }
  | { status: 'refused'; runId: string; reason: 'quota' | 'paused' | 'disabled' | 'plan'; message: string; offers: Offer[] };

export function agentManifest(agent: { manifest: unknown; agent_key: string }): AgentManifest | undefined {
  return (agent.manifest as PackManifest).agents.find((a) => a.id === agent.agent_key);
}

async function notifyQuota(
  ctx: Ctx,
  ent: Entitlements,
  ownerAccountId: string,
  used: number,
  limit: number,
  refused: boolean,
): Promise<void> {
  const percent = refused || used >= limit ? 100 : used >= Math.ceil(limit * 0.8) ? 80 : 0;
  if (!percent) return;
  if (!(await markQuotaNotified(ctx.db, ent.spaceId, ent.quota.start, percent))) return;
  const resets = ent.quota.end.toISOString().slice(0, 10);
  await notify(ctx, {
    spaceId: ent.spaceId,
    accountId: ownerAccountId,
    kind: percent === 100 ? 'quota.exhausted' : 'quota.warning',
    title:
      percent === 100
        ? `Your agents used all ${limit.toLocaleString('en-US')} runs of this month`
        : `Your agents used 80% of this month's runs`,
    body:
      percent === 100
        ? `New runs wait until ${resets}. Nothing already queued is lost. Upgrade, or buy extra runs for this month, to keep them going.`
        : `${used.toLocaleString('en-US')} of ${limit.toLocaleString('en-US')} runs are used; the count starts again on ${resets}.`,
    url: '/plans',
    email: true,
  });
}

/**
 * Every trigger becomes a run here, in ONE transaction: check the agent and its pack, insert the run
 * (a repeated trigger key makes no second run), take one run from the quota month with a conditional
 * update, and queue the job with the plan's priority. A refusal is recorded as a run too (status
 * `refused`, with the reason), so a person sees why nothing happened; it takes nothing from the quota.
 *
 * The common case is one statement (app_admit_runs) in the caller's transaction, or, outside one, in a
 * batch with the other triggers this process is admitting at that moment (one commit and one queue
 * notification for all: see AdmissionBatcher). Refusals take the path of several statements.
 */
export async function admitRun(ctx: Ctx, t: TriggerInput): Promise<Admission> {
  return (await admitRuns(ctx, [t]))[0]!;
}

/** Several triggers at once (the scheduler's round): one statement for all that are admitted as usual. */
export async function admitRuns(ctx: Ctx, triggers: TriggerInput[]): Promise<Admission[]> {
  const out: Array<Admission | undefined> = triggers.map(() => undefined);
  let pending = triggers.map((t, i) => ({ t, i }));
  for (let round = 0; pending.length && round < 3; round++) {
    const now = ctx.now();
    const specs = await Promise.all(
      pending.map(async ({ t }) => {
        const { ent, stamp } = await stampedEntitlements(ctx.db, t.spaceId, now);
        return { ent, spec: admitSpec(t, ent, stamp, now) };
      }),
    );
    const outcomes = ctx.db.isTransaction
      ? await admitInOrder(
          ctx.db,
          specs.map((s) => s.spec),
        )
      : await batcherFor(ctx.deps).admit(specs.map((s) => s.spec));
    const again: typeof pending = [];
    for (const [k, o] of outcomes.entries()) {
      const { t, i } = pending[k]!;
      const { ent } = specs[k]!;
      if (o.outcome === 'stale') {
        forgetEntitlements(t.spaceId);
        again.push({ t, i });
      } else if (o.outcome === 'not_found') throw new AppError('not_found', 'That agent was not found.');
      else if (o.outcome === 'duplicate') out[i] = { status: 'duplicate', runId: o.run_id! };
      else if (o.outcome === 'queued') {
        ctx.deps.metrics.runsAdmitted.inc({ trigger: t.kind });
        if (o.used! >= Math.ceil(o.quota_limit! * 0.8)) await quotaWarning(ctx, ent, o.owner_account_id!, o.used!, o.quota_limit!);
        out[i] = { status: 'queued', runId: o.run_id! };
      } else if (o.outcome === 'quota') out[i] = await refuseForQuota(ctx, t, ent, specs[k]!.spec, o);
      else out[i] = await admitSlow(ctx, t); // a paused or turned-off agent: refused with its reasons
    }
    pending = again;
  }
  for (const { t, i } of pending) out[i] = await admitSlow(ctx, t);
  return out as Admission[];
}

function admitSpec(t: TriggerInput, ent: Entitlements, stamp: string, now: Date): AdmitSpec {
  return {
    run_id: newId(),
    space_id: t.spaceId,
    agent_id: t.agentId,
    kind: t.kind,
    key: t.key.slice(0, 300),
    data: t.data,
    now: now.toISOString(),
    priority: priorityFor(ent.limits.queuePriority),
    created_by: t.actorAccountId ?? null,
    period_start: ent.quota.start.toISOString(),
    period_end: ent.quota.end.toISOString(),
    base_limit: ent.limits.runsPerMonth,
    stamp,
    max_attempts: RUN_MAX_ATTEMPTS,
    ...(t.webhookTokenHash ? { token_hash: t.webhookTokenHash.toString('hex') } : {}),
  };
}

/**
 * Specs in lock order (space, agent, key), so that two batches never wait for each other in a cycle;
 * the outcomes come back in the caller's order.
 */
async function admitInOrder(db: Db, specs: AdmitSpec[]): Promise<AdmitOutcome[]> {
  const order = specs.map((_, i) => i);
  const key = (x: AdmitSpec) => `${x.space_id}|${x.agent_id}|${x.key}`;
  order.sort((a, b) => (key(specs[a]!) < key(specs[b]!) ? -1 : key(specs[a]!) > key(specs[b]!) ? 1 : 0));
  const rows = await admitRunsStatement(
    db,
    order.map((i) => specs[i]!),
  );
  const out: AdmitOutcome[] = new Array(specs.length);
  for (const [k, i] of order.entries()) out[i] = rows[k]!;
  return out;
}

/**
 * Triggers that arrive while a batch is being admitted wait for the next one: at low load each goes
 * alone at once, under load they share statements (and commits, and queue notifications). A batch that
 * fails is retried trigger by trigger, so that one bad trigger fails alone.
 */
class AdmissionBatcher {
  private queue: Array<{ spec: AdmitSpec; resolve: (o: AdmitOutcome) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private readonly db: Db;
  private readonly maxBatch = 64;
  private readonly maxInFlight = 2;
  constructor(db: Db) {
    this.db = db;
  }

  admit(specs: AdmitSpec[]): Promise<AdmitOutcome[]> {
    const all = Promise.all(
      specs.map((spec) => new Promise<AdmitOutcome>((resolve, reject) => this.queue.push({ spec, resolve, reject }))),
    );
    this.pump();
    return all;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: AdmissionBatcher['queue']): Promise<void> {
    try {
      const rows = await admitInOrder(
        this.db,
        batch.map((b) => b.spec),
      );
      for (const [k, b] of batch.entries()) b.resolve(rows[k]!);
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      for (const b of batch) {
        try {
          b.resolve((await admitInOrder(this.db, [b.spec]))[0]!);
        } catch (one) {
          b.reject(one);
        }
      }
    }
  }
}

const batchers = new WeakMap<Deps, AdmissionBatcher>();
function batcherFor(deps: Deps): AdmissionBatcher {
  let b = batchers.get(deps);
  if (!b) {
    b = new AdmissionBatcher(deps.db);
    batchers.set(deps, b);
  }
  return b;
}

/**
 * Records a refusal for the quota that app_admit_runs decided (its run went again), with the reason and
 * the offer a person sees. Only the first refusal of a month tells the person (notifyQuota marks it).
 */
async function refuseForQuota(ctx: Ctx, t: TriggerInput, ent: Entitlements, spec: AdmitSpec, o: AdmitOutcome): Promise<Admission> {
  const used = o.used ?? 0;
  const err = await limitError(ctx.db, ent, 'runs', used);
  const message = `Did not run: ${err.message}`;
  const now = new Date(spec.now);
  const key = `${ent.spaceId}|${ent.quota.start.toISOString()}`;
  let told = false;
  const r = await inTransaction(ctx, async (c): Promise<Admission> => {
    const id = newId();
    const inserted = await insertRun(c.db, {
      id,
      space_id: t.spaceId,
      owner_account_id: o.owner_account_id!,
      visibility: o.visibility!,
      agent_id: t.agentId,
      installation_id: o.installation_id!,
      trigger_kind: t.kind,
      trigger_key: spec.key,
      trigger_data: JSON.stringify(t.data),
      queued_at: now,
      priority: spec.priority,
      created_by_account_id: t.actorAccountId ?? null,
      quota_period_start: ent.quota.start,
      status: 'refused',
      refused_reason: 'quota',
      reason_text: message,
      finished_at: now,
    });
    if (!inserted) return { status: 'duplicate', runId: (await findRunIdByTrigger(c.db, t.agentId, spec.key))!.id };
    if ((warned.get(key) ?? 0) < 100) {
      await notifyQuota(c, ent, o.owner_account_id!, used, o.quota_limit ?? used, true);
      told = true;
    }
    return { status: 'refused', runId: id, reason: 'quota', message, offers: (err.details as { offers: Offer[] }).offers };
  });
  if (told) warned.set(key, 100);
  if (r.status === 'refused') ctx.deps.metrics.runsRefused.inc({ reason: 'quota' });
  return r;
}

/** What this process already sent per space and month (80 or 100), so that admissions above 80% skip the check. */
const warned = new Map<string, number>();

/** The 80% warning after an admission (its own transaction when the admission was batched). */
async function quotaWarning(ctx: Ctx, ent: Entitlements, ownerAccountId: string, used: number, limit: number): Promise<void> {
  const key = `${ent.spaceId}|${ent.quota.start.toISOString()}`;
  const percent = used >= limit ? 100 : 80;
  if ((warned.get(key) ?? 0) >= percent) return;
  await inTransaction(ctx, (c) => notifyQuota(c, ent, ownerAccountId, used, limit, false));
  warned.set(key, percent);
  if (warned.size > 10_000) warned.delete(warned.keys().next().value!);
}

/**
 * Admission as one transaction of several statements: the path for refusals (they carry reasons,
 * offers and notifications) and the reference the statement of app_admit_runs follows step by step.
 */
async function admitSlow(ctx: Ctx, t: TriggerInput): Promise<Admission> {
  const now = ctx.now();
  return inTransaction(ctx, async (c) => {
    const tx = c.db;
    const agent = await findAgentWithPack(tx, t.spaceId, t.agentId);
    if (!agent) throw new AppError('not_found', 'That agent was not found.');
    const ent = await getEntitlements(tx, t.spaceId, now);
    const base = {
      space_id: t.spaceId,
      owner_account_id: agent.owner_account_id,
      visibility: agent.visibility,
      agent_id: agent.id,
      installation_id: agent.installation_id,
      trigger_kind: t.kind,
      trigger_key: t.key.slice(0, 300),
      trigger_data: JSON.stringify(t.data),
      queued_at: now,
      priority: priorityFor(ent.limits.queuePriority),
      created_by_account_id: t.actorAccountId ?? null,
      quota_period_start: ent.quota.start,
    };
    const refuse = async (reason: 'quota' | 'paused' | 'disabled' | 'plan', message: string, offers: Offer[]): Promise<Admission> => {
      const id = newId();
      const inserted = await insertRun(tx, {
        id,
        ...base,
        status: 'refused',
        refused_reason: reason,
        reason_text: message,
        finished_at: now,
      });
      if (!inserted) {
        const existing = await findRunIdByTrigger(tx, agent.id, base.trigger_key);
        return { status: 'duplicate', runId: existing!.id };
      }
      ctx.deps.metrics.runsRefused.inc({ reason });
      return { status: 'refused', runId: id, reason, message, offers };
    };
    if (agent.owner_suspended_at) return refuse('paused', 'Did not run: the account this agent belongs to is suspended.', []);
    if (agent.installation_status !== 'active') {
      const why =
        agent.paused_reason === 'plan_limit'
          ? 'Its pack is paused because the space is over its plan limit.'
          : agent.paused_reason === 'scopes_revoked'
            ? 'Its pack is paused until you allow what it needs again.'
            : 'Its pack is paused.';
      return refuse('paused', `Did not run: ${why}`, []);
    }
    if (!agent.enabled) {
      if (agent.disabled_reason?.startsWith('needs_plan:')) {
        const err = await limitError(tx, ent, 'connectors', 0);
        return refuse(
          'plan',
          `Did not run: this agent needs a plan with all connectors. ${err.message}`,
          (err.details as { offers: Offer[] }).offers,
        );
      }
      return refuse('disabled', 'Did not run: this agent is turned off.', []);
    }
    const runId = newId();
    const inserted = await insertRun(tx, { id: runId, ...base, status: 'queued' });
    if (!inserted) {
      const existing = await findRunIdByTrigger(tx, agent.id, base.trigger_key);
      return { status: 'duplicate', runId: existing!.id };
    }
    const take = await takeRuns(tx, ent);
    if (!take.admitted) {
      const err = await limitError(tx, ent, 'runs', take.used);
      const message = `Did not run: ${err.message}`;
      await updateRun(tx, t.spaceId, runId, { status: 'refused', refused_reason: 'quota', reason_text: message, finished_at: now });
      await notifyQuota(c, ent, agent.owner_account_id, take.used, take.limit, true);
      ctx.deps.metrics.runsRefused.inc({ reason: 'quota' });
      return { status: 'refused', runId, reason: 'quota', message, offers: (err.details as { offers: Offer[] }).offers };
    }
    await addJob(tx, executeRunJob, { spaceId: t.spaceId, runId }, { priority: base.priority, maxAttempts: RUN_MAX_ATTEMPTS });
    await notifyQuota(c, ent, agent.owner_account_id, take.used, take.limit, false);
    ctx.deps.metrics.runsAdmitted.inc({ trigger: t.kind });
    return { status: 'queued', runId };
  });
}

// ---------------------------------------------------------------- execution

class StepFailure extends Error {
  readonly stepKey: string;
  constructor(stepKey: string, message: string) {
    super(message);
    this.stepKey = stepKey;
  }
}
class RunCancelled extends Error {}
/**
 * Another worker claimed this run after this one (this one was presumed dead: frozen, or cut off
 * past its lease). The attempt count is the fencing token: the stale worker records nothing more,
 * and throws, so graphile-worker neither completes nor fails a job that is no longer its own.
 */
class RunSuperseded extends Error {
  constructor(runId: string, attempt: number) {
    super(`run ${runId} was taken over by another worker after attempt ${attempt}; this worker stops here`);
  }
}

/** The agent as the executor sees it: its row and installation (from the claim) and its pack version (cached). */
type ExecAgent = Omit<ClaimedRow['agent_row'], 'pack_version_id'> & { manifest: unknown; files: unknown; pack_version: string };

interface RunState {
  run: Omit<ClaimedRow, 'agent_row' | 'people' | 'rejections'>;
  /** The person's and operator's redaction patterns (privacy module), loaded at the first stored step. */
  redactions?: RegExp[];
  agent: ExecAgent;
  def: AgentManifest;
  data: {
    trigger: unknown;
    settings: unknown;
    steps: Record<string, { output: unknown }>;
    now: string;
    person: unknown;
    item?: unknown;
    feedback: unknown;
  };
  sctx: SkillContext;
  idx: number;
  stepsUsed: number;
  deadline: number;
  tokensIn: number;
  tokensOut: number;
  costMicros: number;
  suggestions: number;
  done: Map<string, unknown>;
  /** performance.now() when the last step's work ended (for the step-overhead metric). */
  lastWorkEnd: number | null;
  /**
   * Records of steps without side effects (compute and read skills, skipped steps) not written yet: they
   * go with the next record that must be written at once, or with the run's finish, so that a run of
   * such steps commits once. After a crash they are simply done again (they change nothing).
   */
  pending: Insertable<RunStep>[];
  /** Whether the last write saw a cancel request, and when (performance.now()) the last check was. */
  cancelSeen: boolean;
  /** Another worker claimed the run after this one (seen with the last step records). */
  superseded: boolean;
  lastCheck: number;
}

function policyFor(state: RunState, actionType: string): 'suggest' | 'auto' | 'never' {
  const own = (state.agent.policies as Record<string, string> | null)?.[actionType];
  const p = own ?? state.def.policies[actionType] ?? 'suggest';
  return p === 'auto' || p === 'never' ? p : 'suggest';
}

function grantedOrThrow(state: RunState, stepKey: string, skill: SkillDef): void {
  const granted = new Set(state.agent.granted_scopes);
  const missing = skill.scopes.filter((s) => !granted.has(s));
  if (missing.length) throw new StepFailure(stepKey, `This pack was not allowed to use ${skill.id} (it needs ${missing.join(', ')}).`);
}

/** Calls a skill from a step: reads and computations run now; actions become suggestions (or auto actions). */
async function callSkill(ctx: Ctx, state: RunState, stepKey: string, skillId: string, input: unknown, itemKey: string): Promise<unknown> {
  const skill = findSkill(ctx.deps.modules, skillId);
  if (!skill) throw new StepFailure(stepKey, `There is no skill ${skillId} on this instance.`);
  grantedOrThrow(state, stepKey, skill);
  if (skill.kind !== 'act') {
    try {
      return await invokeSkill(skill, state.sctx, input);
    } catch (e) {
      if (isAppError(e) && (e.code === 'invalid_input' || e.code === 'internal' || e.code === 'not_found' || e.code === 'forbidden'))
        throw new StepFailure(stepKey, e.message);
      throw e;
    }
  }
  const policy = policyFor(state, skill.actionType!);
  if (policy === 'never') return { skipped: true, reason: `"${skill.actionType}" is set to never for this agent` };
  const parsed = skill.input.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StepFailure(stepKey, `${skill.id}: input.${first?.path.join('.')}: ${first?.message}`);
  }
  const r = await ctx.db.transaction().execute((tx) =>
    createSuggestion(
      { ...ctx, db: tx },
      {
        spaceId: state.run.space_id,
        ownerAccountId: state.run.owner_account_id,
        visibility: state.run.visibility as 'shared' | 'private',
        agentId: state.agent.id,
        runId: state.run.id,
        skill,
        action: parsed.data,
        idempotencyKey: `${state.run.id}:${stepKey}:${itemKey}`,
        policy,
        locale: state.sctx.locale,
      },
    ),
  );
  if (r.created) state.suggestions++;
  crashPoint(ctx.deps.config, 'run.action-proposed');
  return { suggestionId: r.id, status: r.status };
}

async function runStepBody(ctx: Ctx, state: RunState, step: Step, input: unknown, itemKey: string): Promise<unknown> {
  if ('skill' in step) return callSkill(ctx, state, step.id, step.skill, input, itemKey);
  if ('code' in step) return runCodeStep(ctx, state, step, input, itemKey);
  // A model step: the model when one is configured and allowed; otherwise the local engine's fallback.
  if (state.sctx.model) {
    if (state.tokensIn + state.tokensOut >= state.def.budget.maxModelTokens) {
      throw new StepFailure(step.id, `The run used its budget of ${state.def.budget.maxModelTokens} model tokens.`);
    }
    let schema: z.ZodType;
    try {
      schema = z.fromJSONSchema(step.model.output as never) as z.ZodType;
    } catch {
      throw new StepFailure(step.id, 'The step describes its answer with a JSON Schema this platform cannot read.');
    }
    try {
      return await state.sctx.model.generateObject({
        schema,
        system: String(resolveTemplate(step.model.system, state.data)),
        prompt: String(resolveTemplate(step.model.prompt, state.data)),
        maxOutputTokens: Math.min(step.model.maxOutputTokens, state.def.budget.maxModelTokens - state.tokensIn - state.tokensOut),
        signal: state.sctx.signal,
      });
    } catch (e) {
      // A refused key or request fails the step now; a provider that does not answer is retried.
      if (isAppError(e) && (e.code === 'forbidden' || e.code === 'invalid_input')) throw new StepFailure(step.id, e.message);
      throw e;
    }
  }
  const fb = step.fallback;
  return callSkill(ctx, state, step.id, fb.skill, resolveTemplate(fb.input, state.data), itemKey);
}

/**
 * A code step: the creator's JavaScript in the sandbox, with host calls for exactly the skills the step
 * lists (each still checked against the pack's scopes). Calls an action makes become suggestions with
 * keys numbered in call order, so a retried run proposes each once.
 */
async function runCodeStep(
  ctx: Ctx,
  state: RunState,
  step: Extract<Step, { code: string }>,
  input: unknown,
  itemKey: string,
): Promise<unknown> {
  const source = (state.agent.files as Record<string, string> | null)?.[step.code];
  if (typeof source !== 'string') throw new StepFailure(step.id, `The pack has no file ${step.code}.`);
  const counters = new Map<string, number>();
  const hostCalls: Record<string, HostCall> = {};
  for (const skillId of step.skills) {
    hostCalls[skillId] = async (args) => {
      const n = (counters.get(skillId) ?? 0) + 1;
      counters.set(skillId, n);
      try {
        return await callSkill(ctx, state, step.id, skillId, args, `${itemKey}:${skillId}:${n}`);
      } catch (e) {
        // The creator's code sees why, in words; never a host stack.
        if (e instanceof StepFailure) throw new AppError('forbidden', e.message);
        throw e;
      }
    };
  }
  const remainingMs = Math.max(100, state.deadline - Date.now());
  const r = await runSandboxed({
    source,
    input,
    hostCalls,
    limits: { timeoutMs: Math.min(remainingMs, 30_000) },
    signal: state.sctx.signal,
  });
  if (r.ok) return r.output;
  const why: Record<string, string> = {
    timeout: 'the code ran out of time',
    memory: 'the code used too much memory',
    stack: 'the code recursed too deeply',
    script: 'the code threw an error',
    host: 'a platform call from the code failed',
    output_too_large: 'the code returned too much data',
    invalid_output: 'the code returned something that is not JSON',
    cancelled: 'the run was cancelled',
    crashed: 'the sandbox stopped unexpectedly',
  };
  throw new StepFailure(step.id, `${why[r.error.kind] ?? r.error.kind}: ${r.error.message}`);
}

/** Writes the pending step records (if any) and learns whether someone asked to cancel meanwhile. */
async function flushSteps(ctx: Ctx, state: RunState, extra: Insertable<RunStep>[] = []): Promise<void> {
  const rows = [...state.pending, ...extra];
  state.pending = [];
  const seen = await recordSteps(ctx.db, state.run.space_id, state.run.id, rows);
  state.cancelSeen = seen.cancel;
  state.superseded = seen.attempts !== null && seen.attempts !== state.run.attempts;
  state.lastCheck = performance.now();
}

/** A cheap step (a compute or read skill) whose record can wait: it has no side effect to lose. */
function isQuiet(ctx: Ctx, step: Step): boolean {
  if (!('skill' in step)) return false;
  const skill = findSkill(ctx.deps.modules, step.skill);
  return !!skill && skill.kind !== 'act';
}

/** How long a chain of quiet steps may run without looking for a cancel request. */
const CANCEL_CHECK_MS = 250;

/**
 * Before a step: a cancel request stops the run here. Quiet steps take microseconds, so they are not
 * preceded by a round trip of their own (unless the last check is older than CANCEL_CHECK_MS); a model
 * call, code or an action is, together with the records waiting to be written.
 */
async function checkCancelled(ctx: Ctx, state: RunState, step: Step): Promise<void> {
  if (!isQuiet(ctx, step) || performance.now() - state.lastCheck > CANCEL_CHECK_MS) await flushSteps(ctx, state);
  if (state.superseded) throw new RunSuperseded(state.run.id, state.run.attempts);
  if (state.cancelSeen) throw new RunCancelled();
}

async function executeStep(ctx: Ctx, state: RunState, step: Step): Promise<void> {
  const startedAt = ctx.now();
  const idx = state.idx++;
  const kind = 'skill' in step ? 'skill' : 'code' in step ? 'code' : 'model';
  const name = step.name ?? ('skill' in step ? step.skill : 'code' in step ? step.code : 'model');
  const quiet = isQuiet(ctx, step);
  const record = async (status: 'succeeded' | 'failed' | 'skipped', input: unknown, output: unknown, error: string | null) => {
    if (state.agent.store_payloads && !state.redactions) {
      // Imported when used: privacy reads every module's tables, so a static import would be a cycle.
      const { redactionPatternsFor } = await import('#modules/privacy/index.js');
      state.redactions = await redactionPatternsFor(ctx, state.run.space_id, state.run.owner_account_id);
    }
    const row: Insertable<RunStep> = {
      run_id: state.run.id,
      idx,
      space_id: state.run.space_id,
      owner_account_id: state.run.owner_account_id,
      visibility: state.run.visibility,
      step_key: step.id,
      kind,
      name,
      status,
      input: state.agent.store_payloads ? JSON.stringify(storedPayload(input, state.redactions)) : null,
      output: state.agent.store_payloads ? JSON.stringify(storedPayload(output, state.redactions)) : null,
      error,
      started_at: startedAt,
      finished_at: ctx.now(),
    };
    // A step with side effects is written before the run moves on. A quiet one waits for the next write;
    // so does a skipped or failed one (a failure ends the run: the finish writes it, in the same statement).
    if (quiet || status !== 'succeeded') state.pending.push(row);
    else await flushSteps(ctx, state, [row]);
  };
  if (state.done.has(step.id)) {
    state.data.steps[step.id] = { output: state.done.get(step.id) };
    return;
  }
  if (step.when && !evaluateCondition(step.when, state.data)) {
    state.data.steps[step.id] = { output: null };
    await record('skipped', null, { skipped: true, reason: `condition ${step.when.path} not met` }, null);
    return;
  }
  if (Date.now() > state.deadline)
    throw new StepFailure(step.id, `The run went over its time budget of ${state.def.budget.maxSeconds} seconds.`);
  const items = step.forEach ? getPath(state.data, step.forEach) : [null];
  const list = Array.isArray(items) ? items.slice(0, 50) : [];
  const inputs: unknown[] = [];
  const outputs: unknown[] = [];
  try {
    for (const [i, item] of list.entries()) {
      if (++state.stepsUsed > state.def.budget.maxSteps)
        throw new StepFailure(step.id, `The run went over its budget of ${state.def.budget.maxSteps} steps.`);
      const data = step.forEach ? { ...state.data, item } : state.data;
      const input = 'model' in step ? null : resolveTemplate(step.input, data);
      inputs.push(input);
      const workStart = performance.now();
      if (state.lastWorkEnd !== null) ctx.deps.metrics.stepOverhead.observe((workStart - state.lastWorkEnd) / 1000);
      // `$.item` is visible to this step's templates only.
      const outer = state.data;
      state.data = data as RunState['data'];
      try {
        outputs.push(await runStepBody(ctx, state, step, input, step.forEach ? String(i) : '0'));
      } finally {
        state.data = outer;
      }
      state.lastWorkEnd = performance.now();
    }
  } catch (e) {
    if (e instanceof StepFailure) await record('failed', step.forEach ? inputs : inputs[0], null, e.message);
    throw e;
  }
  const output = step.forEach ? outputs : outputs[0];
  state.data.steps[step.id] = { output };
  await record('succeeded', step.forEach ? inputs : inputs[0], output, null);
  crashPoint(ctx.deps.config, 'run.step-recorded');
}

async function finishRun(
  ctx: Ctx,
  state: {
    run: { space_id: string; id: string; owner_account_id: string; attempts: number };
    tokensIn?: number;
    tokensOut?: number;
    costMicros?: number;
    pending?: Insertable<RunStep>[];
  },
  status: 'succeeded' | 'failed' | 'cancelled',
  extra: Record<string, unknown> = {},
) {
  // A failed or cancelled run keeps what its model calls used, and the records of the steps it did.
  const usage =
    state.tokensIn === undefined ? {} : { tokens_in: state.tokensIn, tokens_out: state.tokensOut, cost_micros: state.costMicros };
  const n = await finishWithSteps(ctx.db, state.run.space_id, state.run.id, state.run.attempts, state.pending ?? [], {
    status,
    finished_at: ctx.now(),
    ...usage,
    ...extra,
  });
  if (!n) throw new RunSuperseded(state.run.id, state.run.attempts);
  ctx.deps.metrics.runsFinished.inc({ status });
}

/**
 * Pack versions never change once published (a new version is a new row): kept here once read. A
 * marketplace version's entry also remembers the seal (bundle hash and signature, read by every claim)
 * its files were verified against, so the check hashes and verifies once per version and process.
 */
const packVersions = new Map<string, { manifest: unknown; files: unknown; version: string; verifiedSeal?: string }>();
async function packVersion(db: Db, id: string) {
  let v = packVersions.get(id);
  if (!v) {
    v = await findPackVersionFiles(db, id);
    if (!v) return undefined;
    packVersions.set(id, v);
    if (packVersions.size > 500) packVersions.delete(packVersions.keys().next().value!);
  }
  return v;
}

/**
 * Supply chain: a marketplace version runs only while its files match the hash the platform signed
 * (built-in packs ship with the platform). The files checked are the ones this run executes (the
 * cached ones); the hash and signature are the row's as the claim read them, so a changed seal is
 * checked again. A version that fails leaves the cache: the next run reads its row again.
 */
function packIntegrity(ctx: Ctx, versionId: string, agent: ExecAgent): string | null {
  if (agent.pack_source === 'builtin') return null;
  const cached = packVersions.get(versionId);
  const seal = `${agent.pack_source}|${agent.bundle_sha256}|${agent.signature ?? ''}`;
  if (cached?.verifiedSeal === seal) return null;
  const problem = integrityProblem(ctx.deps.keys.packSigning.publicKeyPem, {
    pack_id: agent.pack_id,
    version: agent.pack_version,
    source: agent.pack_source,
    files: agent.files,
    bundle_sha256: agent.bundle_sha256,
    signature: agent.signature,
  });
  if (problem) packVersions.delete(versionId);
  else if (cached) cached.verifiedSeal = seal;
  return problem;
}

/**
 * Runs one queued run: its steps in order, within the agent's budget (steps, seconds), recording each
 * step (payloads masked and capped). A retry after a crash or a platform fault resumes after the
 * steps already recorded and never takes another run from the quota; proposed actions carry
 * idempotency keys, so a resumed run proposes each once.
 */
export async function executeRun(ctx: Ctx, spaceId: string, runId: string, helpers: JobHelpers): Promise<void> {
  // One statement claims the run and reads what the steps need (agent, installation, members, feedback).
  const claimed = await claimRunWithAgent(ctx.db, spaceId, runId, ctx.now());
  if (!claimed) return;
  crashPoint(ctx.deps.config, 'run.claimed');
  const { agent_row: agentRow, people, rejections, ...run } = claimed;
  if (run.attempts === 1)
    ctx.deps.metrics.triggerToStart.observe(
      { priority: run.priority === 0 ? 'high' : 'normal' },
      Math.max(0, Date.now() - run.queued_at.getTime()) / 1000,
    );
  const startedMs = Date.now();
  if (run.cancel_requested_at) return finishRun(ctx, { run }, 'cancelled');
  const version = await packVersion(ctx.db, agentRow.pack_version_id);
  const agent: ExecAgent | undefined = version && {
    ...agentRow,
    manifest: version.manifest,
    files: version.files,
    pack_version: version.version,
  };
  const def = agent ? agentManifest(agent) : undefined;
  if (!agent || !def) return finishRun(ctx, { run }, 'failed', { error: 'This agent no longer exists in its pack.' });
  // Supply chain: a marketplace version runs only while its files match the hash the platform signed.
  const integrity = packIntegrity(ctx, agentRow.pack_version_id, agent);
  if (integrity) {
    ctx.log.error(
      { runId, packId: agent.pack_id, version: agent.pack_version, problem: integrity },
      'pack version failed its integrity check',
    );
    return finishRun(ctx, { run }, 'failed', { error: `The pack cannot run: ${integrity}.` });
  }
  if (agent.owner_suspended_at) return finishRun(ctx, { run }, 'cancelled', { error: 'The account this agent belongs to was suspended.' });
  // The lab: the variant this space runs (a retried run keeps the one it started with).
  const variant =
    run.variant ??
    (await resolveVariant(ctx, {
      spaceId,
      agentId: agent.id,
      packId: agent.pack_id,
      agentKey: agent.agent_key,
      current: agent.variant,
      variants: def.variants,
    }));
  const applied = applyVariant(def, variant, (agent.settings ?? {}) as Record<string, unknown>);
  if (applied.variant && run.variant !== applied.variant.id) await updateRun(ctx.db, spaceId, runId, { variant: applied.variant.id });
  // Steps of an earlier attempt exist only if this is not the first (the claim counts attempts).
  const previous = run.attempts > 1 ? await listSteps(ctx.db, spaceId, runId) : [];
  const done = new Map<string, unknown>();
  for (const s of previous) if (s.status === 'succeeded' || s.status === 'skipped') done.set(s.step_key, s.output);
  const usage = { tokensIn: run.tokens_in, tokensOut: run.tokens_out, costMicros: Number(run.cost_micros) };
  const model = await getModelAccess(ctx, {
    spaceId,
    accountId: run.owner_account_id,
    visibility: run.visibility as 'shared' | 'private',
    runId,
    agentId: agent.id,
    packId: agent.pack_id,
    localOnly: agent.local_only,
    grantedScopes: agent.granted_scopes,
    onUsage: (u) => {
      usage.tokensIn += u.tokensIn;
      usage.tokensOut += u.tokensOut;
      usage.costMicros += u.costMicros;
    },
  });
  const sctx = await createSkillContext(ctx, {
    spaceId,
    accountId: run.owner_account_id,
    agentId: agent.id,
    runId,
    visibility: run.visibility as 'shared' | 'private',
    signal: helpers.signal,
    model,
    people,
  });
  const feedback = rejections.map((r) => ({
    actionType: r.action_type,
    title: r.title,
    reason: r.reject_reason,
  }));
  const state: RunState = {
    run,
    agent,
    def,
    data: {
      trigger: run.trigger_data,
      settings: applied.settings,
      steps: {},
      now: ctx.now().toISOString(),
      person: { timeZone: sctx.timeZone, locale: sctx.locale, members: sctx.members },
      feedback,
    },
    sctx,
    idx: previous.length ? Math.max(...previous.map((p) => p.idx)) + 1 : 0,
    stepsUsed: 0,
    deadline: Date.now() + def.budget.maxSeconds * 1000,
    get tokensIn() {
      return usage.tokensIn;
    },
    get tokensOut() {
      return usage.tokensOut;
    },
    get costMicros() {
      return usage.costMicros;
    },
    suggestions: 0,
    done,
    lastWorkEnd: null,
    pending: [],
    cancelSeen: false,
    superseded: false,
    lastCheck: performance.now(),
  };
  try {
    for (const step of applied.steps) {
      await checkCancelled(ctx, state, step);
      await executeStep(ctx, state, step);
    }
  } catch (e) {
    if (e instanceof RunSuperseded) {
      ctx.log.warn({ runId, attempt: run.attempts }, 'another worker took this run over; this one stopped');
      throw e;
    }
    if (e instanceof RunCancelled) return finishRun(ctx, state, 'cancelled', { step_count: state.idx });
    if (e instanceof StepFailure)
      return finishRun(ctx, state, 'failed', { error: `Step "${e.stepKey}" failed: ${e.message}`, step_count: state.idx });
    const lastAttempt = helpers.attempts >= helpers.maxAttempts;
    if (lastAttempt) {
      const reason = isDatabaseUnavailable(e)
        ? 'the database was unavailable'
        : e instanceof Error
          ? e.message.slice(0, 300)
          : 'an unexpected error';
      return finishRun(ctx, state, 'failed', {
        error: `It kept failing on our side (${reason}); it was tried ${helpers.attempts} times.`,
        step_count: state.idx,
      });
    }
    ctx.log.warn(
      { runId, attempt: helpers.attempts, err: { message: (e as Error).message } },
      'run hit a platform fault; it will be retried',
    );
    throw e;
  }
  const finished = {
    status: 'succeeded',
    finished_at: ctx.now(),
    step_count: state.idx,
    tokens_in: state.tokensIn,
    tokens_out: state.tokensOut,
    cost_micros: state.costMicros,
  };
  // The steps still waiting to be written and the run's end: one statement (one commit) in the common
  // case; fenced by the attempt (0 rows: another worker took the run over, this one records nothing).
  if (state.suggestions === 0) {
    if (!(await finishWithSteps(ctx.db, spaceId, runId, run.attempts, state.pending, finished)))
      throw new RunSuperseded(runId, run.attempts);
  } else
    await ctx.db.transaction().execute(async (tx) => {
      if (!(await finishWithSteps(tx, spaceId, runId, run.attempts, state.pending, finished))) throw new RunSuperseded(runId, run.attempts);
      await notify(
        { ...ctx, db: tx },
        {
          spaceId,
          accountId: run.owner_account_id,
          kind: 'suggestion.created',
          title: `${def.name} has ${state.suggestions} suggestion${state.suggestions === 1 ? '' : 's'} for you`,
          body: 'Open your inbox to approve, edit or reject them.',
          url: '/suggestions',
        },
      );
    });
  ctx.deps.metrics.runsFinished.inc({ status: 'succeeded' });
  ctx.deps.metrics.runDuration.observe({ status: 'succeeded' }, (Date.now() - startedMs) / 1000);
  crashPoint(ctx.deps.config, 'run.finished');
}

/**
 * A run whose job used every attempt with its worker dying each time would stay `running` forever:
 * this ends it as failed, in words the person can act on. (A run whose last attempt fails in our
 * code is ended by executeRun itself.) Every worker process runs it; the update is conditional.
 */
export async function failAbandonedRuns(ctx: Ctx): Promise<number> {
  let n = 0;
  for (const r of await listAbandonedRuns(ctx.db)) {
    const error = `It was interrupted ${r.tries} times on our side (the worker running it stopped) and was not tried again.`;
    if (await failAbandonedRun(ctx.db, r.space_id, r.id, error, ctx.now())) {
      n++;
      ctx.deps.metrics.runsFinished.inc({ status: 'failed' });
      ctx.log.warn({ runId: r.id, tries: r.tries }, 'run abandoned after its workers died; recorded as failed');
    }
  }
  return n;
}

// ---------------------------------------------------------------- queries and commands

type RunRow = Awaited<ReturnType<typeof listRunRows>>[number];

function presentRun(r: RunRow): RunSummary {
  return {
    id: r.id,
    agentId: r.agent_id,
    agentName: r.agent_name ?? r.agent_key,
    packName: r.pack_name,
    triggerKind: r.trigger_kind as RunSummary['triggerKind'],
    status: r.status as RunSummary['status'],
    refusedReason: r.refused_reason,
    reason: r.reason_text,
    error: r.error,
    queuedAt: r.queued_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
    durationMs: r.started_at && r.finished_at ? r.finished_at.getTime() - r.started_at.getTime() : null,
    stepCount: r.step_count,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    costMicros: Number(r.cost_micros),
    visibility: r.visibility as RunSummary['visibility'],
  };
}

const encodeCursor = (r: RunSummary) => Buffer.from(`${r.queuedAt}|${r.id}`).toString('base64url');
function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const d = new Date(at ?? '');
  if (!id || Number.isNaN(d.getTime())) throw new AppError('invalid_input', 'The page cursor is not valid; start from the first page.');
  return { at: d, id };
}

export async function listRuns(ctx: ActorCtx, q: { limit: number; cursor?: string; status?: string; agentId?: string }) {
  return inSpace(ctx, async (c) => {
    const rows = await listRunRows(c.db, ctx.actor.spaceId, {
      limit: q.limit,
      before: q.cursor ? decodeCursor(q.cursor) : undefined,
      status: q.status,
      agentId: q.agentId,
    });
    const items = rows.slice(0, q.limit).map(presentRun);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!) : null };
  });
}

async function runSummary(db: Db, spaceId: string, runId: string): Promise<RunSummary> {
  const r = await findRunWithAgent(db, spaceId, runId);
  if (!r) throw new AppError('not_found', 'That run was not found.');
  return presentRun(r);
}

export async function getRun(ctx: ActorCtx, runId: string): Promise<RunDetail> {
  return inSpace(ctx, async (c) => {
    const summary = await runSummary(c.db, ctx.actor.spaceId, runId);
    const run = await findRun(c.db, ctx.actor.spaceId, runId);
    const steps = await listSteps(c.db, ctx.actor.spaceId, runId);
    let offers: RunDetail['offers'] = [];
    if (run?.refused_reason === 'quota' || run?.refused_reason === 'plan') {
      const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, ctx.now());
      offers = (
        (await limitError(ctx.deps.db, ent, run.refused_reason === 'quota' ? 'runs' : 'connectors', 0)).details as {
          offers: RunDetail['offers'];
        }
      ).offers;
    }
    return {
      ...summary,
      triggerData: run?.trigger_data ?? null,
      steps: steps.map((s) => ({
        idx: s.idx,
        stepKey: s.step_key,
        kind: s.kind as 'skill' | 'model' | 'code',
        name: s.name,
        status: s.status as 'running' | 'succeeded' | 'failed' | 'skipped',
        input: s.input ?? null,
        output: s.output ?? null,
        error: s.error,
        startedAt: s.started_at.toISOString(),
        finishedAt: s.finished_at?.toISOString() ?? null,
        durationMs: s.finished_at ? s.finished_at.getTime() - s.started_at.getTime() : null,
        tokensIn: s.tokens_in,
        tokensOut: s.tokens_out,
      })),
      suggestionIds: await suggestionIdsOfRun(c.db, ctx.actor.spaceId, runId),
      offers,
    };
  });
}

/** Cancels a queued run at once; a running one stops before its next step. */
export async function cancelRun(ctx: ActorCtx, runId: string): Promise<RunSummary> {
  await inSpace(ctx, async (c) => {
    const run = await findRun(c.db, ctx.actor.spaceId, runId);
    if (!run) throw new AppError('not_found', 'That run was not found.');
    if (!['queued', 'running'].includes(run.status))
      throw new AppError('conflict', `This run has already ${run.status === 'refused' ? 'been refused' : run.status}.`);
    if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can cancel runs.');
    const now = ctx.now();
    if (run.status === 'queued')
      await updateRun(c.db, ctx.actor.spaceId, runId, { status: 'cancelled', cancel_requested_at: now, finished_at: now });
    else await updateRun(c.db, ctx.actor.spaceId, runId, { cancel_requested_at: now });
  });
  return inSpace(ctx, (c) => runSummary(c.db, ctx.actor.spaceId, runId));
}

/** "Run now": a manual trigger. A refusal for the quota answers 402 with the refused run's id and the offer. */
export async function runAgentNow(ctx: ActorCtx, agentId: string, input: Record<string, unknown> | undefined): Promise<RunSummary> {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can run agents.');
  const visible = await inSpace(ctx, (c) =>
    c.db.selectFrom('agent').select('id').where('space_id', '=', ctx.actor.spaceId).where('id', '=', agentId).executeTakeFirst(),
  );
  if (!visible) throw new AppError('not_found', 'That agent was not found.');
  const r = await admitRun(ctx, {
    spaceId: ctx.actor.spaceId,
    agentId,
    kind: 'manual',
    key: `manual:${newId()}`,
    data: input ?? {},
    actorAccountId: ctx.actor.accountId,
  });
  if (r.status === 'refused') {
    const code = r.reason === 'quota' || r.reason === 'plan' ? 'quota_exceeded' : 'conflict';
    throw new AppError(code, r.message, { runId: r.runId, reason: r.reason, offers: r.offers });
  }
  return inSpace(ctx, (c) => runSummary(c.db, ctx.actor.spaceId, r.runId));
}

// ---------------------------------------------------------------- the scheduler

/** A slot missed by more than this (the platform was down) is skipped, not run late. */
const MISSED_WINDOW_MS = 60 * 60_000;

/**
 * One round of the scheduler: agents whose time has come, locked so that several worker processes
 * never take the same one. Each due slot becomes a run keyed by its time (so a slot never runs twice,
 * even across restarts); slots missed within the last hour still run; older ones are skipped.
 */
export async function runDueSchedules(ctx: Ctx, batch = 200): Promise<number> {
  const now = ctx.now();
  let admitted = 0;
  await ctx.db.transaction().execute(async (tx) => {
    const c = { ...ctx, db: tx };
    const due = await lockDueAgents(tx, now, batch);
    const triggers: TriggerInput[] = [];
    const next: Array<{ spaceId: string; agentId: string; at: Date | null }> = [];
    for (const a of due) {
      const schedule = a.schedule as AgentSchedule | null;
      let slot: Date | null = a.next_run_at;
      for (let guard = 0; slot && slot <= now && guard < 100; guard++) {
        if (now.getTime() - slot.getTime() <= MISSED_WINDOW_MS)
          triggers.push({
            spaceId: a.space_id,
            agentId: a.id,
            kind: 'schedule',
            key: `schedule:${slot.toISOString()}`,
            data: { scheduledFor: slot.toISOString() },
          });
        slot = schedule ? nextFireTime(schedule, slot) : null;
      }
      next.push({ spaceId: a.space_id, agentId: a.id, at: slot });
    }
    // The round's runs in one admission statement, then every agent moved to its next time in one more.
    if (triggers.length) await admitRuns(c, triggers);
    admitted = triggers.length;
    if (next.length) await advanceTo(tx, next);
  });
  return admitted;
}

async function advanceTo(db: Db, next: Array<{ spaceId: string; agentId: string; at: Date | null }>) {
  await sql`update agent set next_run_at = n.at
    from unnest(${next.map((n) => n.spaceId)}::uuid[], ${next.map((n) => n.agentId)}::uuid[], ${next.map((n) => n.at)}::timestamptz[])
      as n(space_id, id, at)
    where agent.space_id = n.space_id and agent.id = n.id`.execute(db);
}

// ---------------------------------------------------------------- job table retention

/** How long a permanently failed job stays in the job table (for operators to look into) before it goes. */
const JOB_RETENTION_DAYS = 14;

/**
 * graphile-worker deletes a job when it succeeds and keeps it forever when it fails for good: without
 * this, those rows pile up in the table every get_job reads. Deleted in batches of 5,000 (short locks).
 * Their runs are already marked failed; their payloads are ids only.
 */
export async function pruneFailedJobs(ctx: Ctx): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await sql`delete from graphile_worker._private_jobs where id in (
        select id from graphile_worker._private_jobs
        where attempts >= max_attempts and locked_at is null and updated_at < ${ctx.now()}::timestamptz - make_interval(days => ${JOB_RETENTION_DAYS})
        limit 5000)`.execute(ctx.db);
    const n = Number(r.numAffectedRows ?? 0);
    total += n;
    if (n < 5000) return total;
  }
}
