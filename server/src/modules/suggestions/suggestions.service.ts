import type { SuggestionView } from '@csme/contracts/suggestions';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { AppError, isAppError } from '#core/errors.js';
import { crashPoint } from '#core/faults.js';
import { newId } from '#core/ids.js';
import { addJob } from '#core/jobs.js';
import { createSkillContext, findSkill, invokeSkill, type SkillDef } from '#core/skill.js';
import { logActivity } from '#modules/activity/index.js';
import { notify } from '#modules/notifications/index.js';
import { suggestionsSetting } from './suggestions.config.js';
import { executeActionJob } from './suggestions.jobs.js';
import { actionHash, assertMayDecide, DONE_STATUSES, OPEN_STATUSES } from './suggestions.policy.js';
import { presentSuggestion } from './suggestions.presenter.js';
import {
  countPending,
  expireDue,
  findSuggestion,
  findSuggestionForUpdate,
  finishSuggestion,
  insertSuggestion,
  listAbandonedActions,
  listSuggestions as listRows,
  releaseClaimedAction,
  updateSuggestion,
} from './suggestions.repository.js';

export interface CreateSuggestionInput {
  spaceId: string;
  ownerAccountId: string;
  visibility: 'shared' | 'private';
  agentId: string | null;
  runId: string | null;
  skill: SkillDef;
  /** The skill's input, already validated. */
  action: unknown;
  /** Unique per proposed action (run, step and item), so a retried run proposes it once. */
  idempotencyKey: string;
  policy: 'suggest' | 'auto';
  locale: 'en' | 'he';
}

/** Proposes an action (or, under an `auto` policy, approves it at once and queues it). In the caller's transaction. */
export async function createSuggestion(ctx: Ctx, s: CreateSuggestionInput): Promise<{ id: string; status: string; created: boolean }> {
  const settings = await ctx.deps.settings.get(suggestionsSetting);
  const now = ctx.now();
  const preview = s.skill.preview?.(s.action as never, s.locale) ?? { title: s.skill.description, summary: '' };
  const hash = actionHash(s.skill.id, s.action);
  const auto = s.policy === 'auto';
  const r = await insertSuggestion(ctx.db, {
    id: newId(),
    space_id: s.spaceId,
    owner_account_id: s.ownerAccountId,
    visibility: s.visibility,
    agent_id: s.agentId,
    run_id: s.runId,
    skill_id: s.skill.id,
    action_type: s.skill.actionType ?? s.skill.id,
    external: s.skill.external ?? false,
    title: preview.title.slice(0, 300),
    summary: preview.summary.slice(0, 2000),
    action: JSON.stringify(s.action),
    action_hash: hash,
    status: auto ? 'approved' : 'pending',
    auto,
    approved_hash: auto ? hash : null,
    approved_at: auto ? now : null,
    expires_at: new Date(now.getTime() + settings.expiryDays * 86_400_000),
    idempotency_key: s.idempotencyKey,
  });
  if (!r.inserted) return { id: r.id, status: r.status, created: false };
  await logActivity(
    ctx.db,
    {
      spaceId: s.spaceId,
      ownerAccountId: s.visibility === 'private' ? s.ownerAccountId : null,
      actorKind: 'agent',
      agentId: s.agentId,
      kind: auto ? 'suggestion.auto_approved' : 'suggestion.created',
      objectType: 'suggestion',
      objectId: r.id,
      summary: auto ? `Did on its own (allowed by policy): ${preview.title}` : `Proposed: ${preview.title}`,
      data: { actionType: s.skill.actionType, runId: s.runId },
    },
    now,
  );
  if (auto) await addJob(ctx.db, executeActionJob, { spaceId: s.spaceId, suggestionId: r.id });
  return { id: r.id, status: r.status, created: true };
}

export async function listSuggestions(ctx: ActorCtx, q: { status: string; limit: number; cursor?: string; agentId?: string }) {
  const statuses = q.status === 'open' ? OPEN_STATUSES : q.status === 'done' ? DONE_STATUSES : [q.status];
  return inSpace(ctx, async (c) => {
    const rows = await listRows(c.db, ctx.actor.spaceId, { statuses, limit: q.limit, before: q.cursor, agentId: q.agentId });
    const items = rows.slice(0, q.limit).map(presentSuggestion);
    return {
      items,
      nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null,
      pendingCount: await countPending(c.db, ctx.actor.spaceId),
    };
  });
}

async function getRow(ctx: ActorCtx, id: string) {
  const r = await findSuggestion(ctx.db, ctx.actor.spaceId, id);
  if (!r) throw new AppError('not_found', 'That suggestion was not found.');
  return r;
}

export async function getSuggestion(ctx: ActorCtx, id: string): Promise<SuggestionView> {
  return inSpace(ctx, async (c) => presentSuggestion(await getRow(c, id)));
}

function decidable(status: string) {
  if (status !== 'pending') {
    const what = status === 'expired' ? 'It expired' : status === 'rejected' ? 'It was rejected' : 'It was already decided';
    throw new AppError('conflict', `This suggestion can no longer be approved or rejected. ${what}.`, { status });
  }
}

/**
 * Approves a suggestion. The approval is bound to the hash of the exact action the person saw (or
 * edited): if the action changed in between, the approval is refused and must be given again.
 */
export async function approveSuggestion(
  ctx: ActorCtx,
  id: string,
  input: { hash: string; action?: unknown },
  via: 'approve' | 'always' = 'approve',
): Promise<SuggestionView> {
  await inSpace(ctx, async (c) => {
    const s = await findSuggestionForUpdate(c.db, ctx.actor.spaceId, id);
    if (!s) throw new AppError('not_found', 'That suggestion was not found.');
    assertMayDecide(ctx.actor, s);
    decidable(s.status);
    if (s.action_hash !== input.hash)
      throw new AppError('conflict', 'This suggestion changed since you looked at it. Look again and approve the new version.', {
        reason: 'hash_mismatch',
      });
    let action = s.action;
    let hash = s.action_hash;
    let edited = false;
    let title = s.title;
    let summary = s.summary;
    if (input.action !== undefined) {
      const skill = findSkill(ctx.deps.modules, s.skill_id);
      if (!skill) throw new AppError('conflict', 'The skill behind this suggestion is no longer available.');
      const parsed = skill.input.safeParse(input.action);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: ['body', 'action', ...i.path.map(String)].join('.'), message: i.message }));
        throw new AppError('invalid_input', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
      }
      action = parsed.data as typeof action;
      hash = actionHash(s.skill_id, parsed.data);
      edited = hash !== s.action_hash;
      // The preview follows the edit, so that the inbox and the log name what was approved.
      const preview = edited ? skill.preview?.(parsed.data as never, ctx.actor.locale) : undefined;
      if (preview) {
        title = preview.title.slice(0, 300);
        summary = preview.summary.slice(0, 2000);
      }
    }
    const now = ctx.now();
    await updateSuggestion(c.db, ctx.actor.spaceId, id, {
      status: 'approved',
      action: JSON.stringify(action),
      action_hash: hash,
      approved_hash: hash,
      approved_by: ctx.actor.accountId,
      approved_at: now,
      decided_by: ctx.actor.accountId,
      decided_at: now,
      edited,
      title,
      summary,
      updated_at: now,
    });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: s.visibility === 'private' ? s.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        agentId: s.agent_id,
        kind: 'suggestion.approved',
        objectType: 'suggestion',
        objectId: id,
        summary: `${edited ? 'Approved with changes' : 'Approved'}: ${title}`,
        data: { actionType: s.action_type, edited, via },
      },
      now,
    );
    await addJob(c.db, executeActionJob, { spaceId: ctx.actor.spaceId, suggestionId: id });
  });
  return getSuggestion(ctx, id);
}

export async function rejectSuggestion(ctx: ActorCtx, id: string, reason?: string): Promise<SuggestionView> {
  await inSpace(ctx, async (c) => {
    const s = await findSuggestionForUpdate(c.db, ctx.actor.spaceId, id);
    if (!s) throw new AppError('not_found', 'That suggestion was not found.');
    assertMayDecide(ctx.actor, s);
    decidable(s.status);
    const now = ctx.now();
    await updateSuggestion(c.db, ctx.actor.spaceId, id, {
      status: 'rejected',
      reject_reason: reason ?? null,
      decided_by: ctx.actor.accountId,
      decided_at: now,
      updated_at: now,
    });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: s.visibility === 'private' ? s.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        agentId: s.agent_id,
        kind: 'suggestion.rejected',
        objectType: 'suggestion',
        objectId: id,
        summary: `Rejected: ${s.title}${reason ? ` (${reason})` : ''}`,
        data: { actionType: s.action_type, reason: reason ?? null },
      },
      now,
    );
  });
  return getSuggestion(ctx, id);
}

/** Approves this one and switches the agent's policy for this action type to `auto` (logged). */
export async function alwaysAllow(ctx: ActorCtx, id: string, hash: string): Promise<SuggestionView> {
  if (ctx.actor.role === 'child')
    throw new AppError('forbidden', 'Only an adult of the family can change what an agent may do on its own.');
  const s = await inSpace(ctx, async (c) => getRow(c, id));
  if (!s.agent_id) throw new AppError('conflict', 'This suggestion has no agent to allow.');
  if (s.external && ctx.actor.spaceKind === 'family' && ctx.actor.role !== 'owner' && ctx.actor.role !== 'adult') {
    throw new AppError('forbidden', 'Only an adult can let an agent send or pay on its own.');
  }
  await inSpace(ctx, async (c) => {
    await c.db
      .updateTable('agent')
      .set(
        (eb) =>
          ({
            policies: eb.fn('jsonb_set', [eb.ref('policies'), eb.val(`{${s.action_type}}`), eb.val(JSON.stringify('auto'))]),
            updated_at: ctx.now(),
          }) as never,
      )
      .where('space_id', '=', ctx.actor.spaceId)
      .where('id', '=', s.agent_id!)
      .execute();
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: s.visibility === 'private' ? s.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        agentId: s.agent_id,
        kind: 'settings.changed',
        objectType: 'agent',
        objectId: s.agent_id,
        summary: `Allowed the agent to do "${s.action_type}" on its own`,
        data: { actionType: s.action_type, policy: 'auto' },
      },
      ctx.now(),
    );
  });
  return approveSuggestion(ctx, id, { hash }, 'always');
}

export async function batchApprove(ctx: ActorCtx, items: { id: string; hash: string }[]) {
  const results: { id: string; ok: boolean; code: string | null; message: string | null }[] = [];
  for (const it of items) {
    try {
      await approveSuggestion(ctx, it.id, { hash: it.hash });
      results.push({ id: it.id, ok: true, code: null, message: null });
    } catch (e) {
      if (!isAppError(e)) throw e;
      results.push({ id: it.id, ok: false, code: e.code, message: e.message });
    }
  }
  return { results };
}

/** For an action left `unknown`: the person sends it again (under a new key) or dismisses it. Never automatic. */
export async function resolveUnknown(ctx: ActorCtx, id: string, choice: 'resend' | 'dismiss'): Promise<SuggestionView> {
  await inSpace(ctx, async (c) => {
    const s = await findSuggestionForUpdate(c.db, ctx.actor.spaceId, id);
    if (!s) throw new AppError('not_found', 'That suggestion was not found.');
    assertMayDecide(ctx.actor, s);
    if (s.status !== 'unknown' && !(s.status === 'failed' && choice === 'resend'))
      throw new AppError('conflict', 'Only an action whose outcome is unknown (or that failed) can be sent again or dismissed.');
    const now = ctx.now();
    if (choice === 'dismiss') {
      await updateSuggestion(c.db, ctx.actor.spaceId, id, {
        status: 'dismissed',
        decided_by: ctx.actor.accountId,
        decided_at: now,
        updated_at: now,
      });
    } else {
      await updateSuggestion(c.db, ctx.actor.spaceId, id, {
        status: 'approved',
        idempotency_key: `${s.idempotency_key.split('#retry')[0]}#retry${s.attempts}`,
        error: null,
        approved_by: ctx.actor.accountId,
        approved_at: now,
        updated_at: now,
      });
      await addJob(c.db, executeActionJob, { spaceId: ctx.actor.spaceId, suggestionId: id });
    }
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: s.visibility === 'private' ? s.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        agentId: s.agent_id,
        kind: choice === 'resend' ? 'action.resend_requested' : 'action.dismissed',
        objectType: 'suggestion',
        objectId: id,
        summary: `${choice === 'resend' ? 'Asked to send again' : 'Dismissed'}: ${s.title}`,
      },
      now,
    );
  });
  return getSuggestion(ctx, id);
}

async function finish(
  ctx: Ctx,
  s: {
    space_id: string;
    id: string;
    visibility: string;
    owner_account_id: string;
    agent_id: string | null;
    title: string;
    action_type: string;
  },
  status: 'done' | 'failed' | 'unknown',
  detail: { result?: unknown; error?: string },
  from: readonly string[] = status === 'done' ? ['executing', 'unknown'] : ['executing'],
  /** The claim of the worker that decides it: a failure or an unknown outcome counts only while it holds. */
  claim?: number,
) {
  const now = ctx.now();
  await ctx.db.transaction().execute(async (tx) => {
    // Only from `executing`: a worker that was presumed dead and wakes after another recorded the
    // outcome records nothing twice. Its `done` may still replace an `unknown` (it knows better).
    const n = await finishSuggestion(
      tx,
      s.space_id,
      s.id,
      from,
      {
        status,
        result: detail.result === undefined ? null : JSON.stringify(detail.result),
        error: detail.error ?? null,
        executed_at: now,
        updated_at: now,
      },
      status === 'done' ? undefined : claim,
    );
    if (!n) return;
    await logActivity(
      tx,
      {
        spaceId: s.space_id,
        ownerAccountId: s.visibility === 'private' ? s.owner_account_id : null,
        actorKind: 'agent',
        agentId: s.agent_id,
        kind: status === 'done' ? 'action.performed' : status === 'failed' ? 'action.failed' : 'action.unknown',
        objectType: 'suggestion',
        objectId: s.id,
        summary:
          status === 'done'
            ? `Done: ${s.title}`
            : status === 'failed'
              ? `Failed: ${s.title} — ${detail.error}`
              : `Not sure it happened: ${s.title}`,
        data: { actionType: s.action_type },
      },
      now,
    );
    if (status !== 'done') {
      await notify(
        { ...ctx, db: tx },
        {
          spaceId: s.space_id,
          accountId: s.owner_account_id,
          kind: status === 'failed' ? 'action.failed' : 'action.unknown',
          title: status === 'failed' ? `Could not do it: ${s.title}` : `Please check: ${s.title}`,
          body:
            status === 'failed'
              ? (detail.error ?? '')
              : 'The connection dropped while this was being sent, and we could not confirm it arrived. Open it to send it again or dismiss it.',
          url: '/suggestions',
          email: status === 'unknown',
        },
      );
    }
  });
}

/**
 * Performs an approved action at most once. The suggestion moves to `executing` before the skill runs;
 * if a worker dies in between, the next attempt finds it `executing` and reconciles instead of redoing:
 * the skill tells whether it happened (e.g. the Message-ID is in Sent), otherwise the action is
 * `unknown` for the person to resend or dismiss. Idempotent skills simply run again under the same key.
 */
export async function executeAction(
  ctx: Ctx,
  spaceId: string,
  id: string,
  attempt: { attempt: number; maxAttempts: number },
): Promise<void> {
  const claim = await ctx.db.transaction().execute(async (tx) => {
    const s = await findSuggestionForUpdate(tx, spaceId, id);
    if (!s) return null;
    if (s.status === 'approved') {
      await updateSuggestion(tx, spaceId, id, { status: 'executing', attempts: s.attempts + 1, updated_at: ctx.now() });
      return { s, mode: 'perform' as const, attempts: s.attempts + 1 };
    }
    if (s.status === 'executing') {
      // Taking over from a worker presumed dead: a claim of its own, so that worker, if it wakes, is fenced out.
      await updateSuggestion(tx, spaceId, id, { attempts: s.attempts + 1, updated_at: ctx.now() });
      return { s, mode: 'recover' as const, attempts: s.attempts + 1 };
    }
    return null;
  });
  if (!claim) return;
  crashPoint(ctx.deps.config, 'action.claimed');
  const { s } = claim;
  const skill = findSkill(ctx.deps.modules, s.skill_id);
  if (!skill) return finish(ctx, s, 'failed', { error: 'The skill behind this action is no longer available.' }, undefined, claim.attempts);
  const sctx = await createSkillContext(ctx, {
    spaceId,
    accountId: s.approved_by ?? s.owner_account_id,
    agentId: s.agent_id,
    runId: s.run_id,
    visibility: s.visibility as 'shared' | 'private',
    idempotencyKey: s.idempotency_key,
  });
  if (claim.mode === 'recover') {
    if (skill.reconcile) {
      const r = await skill.reconcile(sctx, s.action as never, s.idempotency_key);
      if (r.state === 'done') return finish(ctx, s, 'done', { result: r.result });
      if (skill.external) return finish(ctx, s, 'unknown', {}, undefined, claim.attempts);
    } else if (skill.external) {
      return finish(ctx, s, 'unknown', {}, undefined, claim.attempts);
    }
  }
  try {
    const result = await invokeSkill(skill, sctx, s.action);
    crashPoint(ctx.deps.config, 'action.performed');
    await finish(ctx, s, 'done', { result });
    crashPoint(ctx.deps.config, 'action.finished');
  } catch (e) {
    if (isAppError(e) && e.code === 'unavailable' && attempt.attempt < attempt.maxAttempts) {
      // The far side said it did nothing (for example, it refused the connection): safe to try again later,
      // unless another worker took the action over meanwhile (this one was frozen past its lease) and
      // recorded what happened: then that stands, and there is nothing to retry.
      if (!(await releaseClaimedAction(ctx.db, spaceId, id, claim.attempts, { error: e.message, updated_at: ctx.now() }))) return;
      throw e;
    }
    if (isAppError(e)) return finish(ctx, s, 'failed', { error: e.message }, undefined, claim.attempts);
    if (attempt.attempt >= attempt.maxAttempts)
      return finish(ctx, s, skill.external ? 'unknown' : 'failed', { error: 'It kept failing on our side.' }, undefined, claim.attempts);
    // A platform fault mid-action: stay `executing`; the retry reconciles rather than redoes.
    throw e;
  }
}

/**
 * An approved action whose job used every attempt with its worker dying each time would wait forever.
 * Never started (`approved`): it failed, nothing was done. Started (`executing`): whether it happened
 * is unknown, so the person is asked to send it again or dismiss it, as after any unconfirmed send.
 */
export async function endAbandonedActions(ctx: Ctx): Promise<number> {
  let n = 0;
  for (const a of await listAbandonedActions(ctx.db)) {
    const s = await findSuggestion(ctx.db, a.space_id, a.id);
    if (!s || (s.status !== 'approved' && s.status !== 'executing')) continue;
    if (s.status === 'approved')
      await finish(ctx, s, 'failed', { error: 'It was interrupted on our side before it started; nothing was done.' }, ['approved']);
    else await finish(ctx, s, 'unknown', { error: 'It was interrupted on our side while it was being done.' }, ['executing']);
    n++;
  }
  return n;
}

export async function expireSuggestions(ctx: Ctx): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await expireDue(ctx.db, ctx.now());
    total += rows.length;
    for (const r of rows) {
      await logActivity(
        ctx.db,
        {
          spaceId: r.space_id,
          ownerAccountId: r.visibility === 'private' ? r.owner_account_id : null,
          actorKind: 'system',
          agentId: r.agent_id,
          kind: 'suggestion.expired',
          objectType: 'suggestion',
          objectId: r.id,
          summary: `Expired without a decision (nothing was done): ${r.title}`,
        },
        ctx.now(),
      );
    }
    if (rows.length < 500) return total;
  }
}
