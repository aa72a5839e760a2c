import type { LabAgentView, LabParticipation, LabReport, LabVariantView } from '@csme/contracts/lab';
import { LAB_MIN_SPACES } from '@csme/contracts/lab';
import { type AgentVariant, assignVariant, type PackManifest } from '@csme/sdk';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { inSystemTransaction } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { logActivity } from '#modules/activity/index.js';
import { isEnabled } from '#modules/flags/index.js';
import { modelPricesSetting } from '#modules/models/index.js';
import { type SpaceCell, variantFigures } from './lab.policy.js';
import {
  assignAgentVariant,
  countOptOuts,
  deleteOptOut,
  findOptOut,
  findWinner,
  insertOptOut,
  labCells,
  latestManifests,
  listWinners,
  setVariantEverywhere,
  upsertWinner,
} from './lab.repository.js';

// ---------------------------------------------------------------- assignment (the executor asks)

export interface VariantQuestion {
  spaceId: string;
  agentId: string;
  packId: string;
  agentKey: string;
  /** The variant recorded on the agent (its sticky assignment), if any. */
  current: string | null;
  variants: readonly AgentVariant[] | undefined;
}

/**
 * The variant an agent runs now: the promoted winner if there is one; otherwise, for a space in the lab
 * (not opted out, lab flag on), its sticky assignment, made deterministically the first time
 * (assignVariant over `<spaceId>:<packId>:<agentKey>`) and recorded on the agent. null: as declared.
 */
export async function resolveVariant(ctx: Ctx, q: VariantQuestion, opts: { assign?: boolean } = {}): Promise<string | null> {
  const assign = opts.assign ?? true;
  if (!q.variants?.length) return null;
  const db = ctx.deps.db;
  const known = (id: string | null | undefined) => (id && q.variants!.some((v) => v.id === id) ? id : null);
  const winner = known((await findWinner(db, q.packId, q.agentKey))?.variant);
  if (winner) {
    if (assign && q.current !== winner) await assignAgentVariant(db, q.spaceId, q.agentId, winner);
    return winner;
  }
  if (!(await isEnabled(ctx, 'lab')) || (await findOptOut(db, q.spaceId))) return null;
  const sticky = known(q.current);
  if (sticky) return sticky;
  const assigned = assignVariant(q.variants, `${q.spaceId}:${q.packId}:${q.agentKey}`);
  if (assign) await assignAgentVariant(db, q.spaceId, q.agentId, assigned);
  return assigned;
}

// ---------------------------------------------------------------- participation (people)

export async function getParticipation(ctx: ActorCtx): Promise<LabParticipation> {
  const row = await inSpace(ctx, (c) => findOptOut(c.db, ctx.actor.spaceId));
  return { optedOut: Boolean(row), optedOutAt: row?.opted_out_at.toISOString() ?? null };
}

/** Opts the active space out of the lab, or back in (owner or adult); logged in the space. */
export async function setParticipation(ctx: ActorCtx, optedOut: boolean): Promise<LabParticipation> {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can change this.');
  await inSpace(ctx, async (c) => {
    const was = Boolean(await findOptOut(c.db, ctx.actor.spaceId));
    if (was === optedOut) return;
    if (optedOut) await insertOptOut(c.db, { space_id: ctx.actor.spaceId, opted_out_at: ctx.now(), by_account_id: ctx.actor.accountId });
    else await deleteOptOut(c.db, ctx.actor.spaceId);
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'settings.changed',
        objectType: 'lab',
        summary: optedOut
          ? 'Opted this space out of the experimentation lab: agents run as declared and this space is never counted'
          : 'This space takes part in the experimentation lab again',
      },
      ctx.now(),
    );
  });
  return getParticipation(ctx);
}

// ---------------------------------------------------------------- figures (operators)

function emptyCell(): SpaceCell {
  return { runs: 0, finished: 0, failed: 0, costMicros: 0, runMs: 0, decided: 0, approved: 0, editedApproved: 0 };
}

/**
 * The lab page: per agent (pack and agent key) and variant, the five figures over the spaces that ran
 * it in the months asked, never per space, each withheld below 5 spaces, opted-out spaces never counted.
 */
export async function labReport(ctx: Ctx, range: { from: string; to: string; start: Date; end: Date }): Promise<LabReport> {
  const db = ctx.deps.db;
  const perSecond = (await ctx.deps.settings.get(modelPricesSetting)).computeMicrosPerRunSecond;
  const rows = await labCells(db, { from: range.start, to: range.end });
  const manifests = new Map((await latestManifests(db)).map((m) => [m.pack_id, m.manifest as PackManifest]));
  const winners = new Map((await listWinners(db)).map((w) => [`${w.pack_id}/${w.agent_key}`, w]));
  // agent -> variant -> space -> cell
  const tree = new Map<string, Map<string | null, Map<string, SpaceCell>>>();
  for (const r of rows) {
    const agentKey = `${r.pack_id}/${r.agent_key}`;
    const byVariant = tree.get(agentKey) ?? new Map<string | null, Map<string, SpaceCell>>();
    tree.set(agentKey, byVariant);
    const bySpace = byVariant.get(r.variant) ?? new Map<string, SpaceCell>();
    byVariant.set(r.variant, bySpace);
    const c = bySpace.get(r.space_id) ?? emptyCell();
    const ms = Number(r.run_ms);
    c.runs += r.runs;
    c.finished += r.finished;
    c.failed += r.failed;
    c.runMs += ms;
    c.costMicros += Number(r.model_micros) + Math.round((perSecond * ms) / 1000);
    c.decided += r.decided;
    c.approved += r.approved;
    c.editedApproved += r.edited_approved;
    bySpace.set(r.space_id, c);
  }
  // Agents that declare variants appear even before anyone ran them.
  for (const [packId, m] of manifests)
    for (const a of m.agents ?? []) if (a.variants?.length && !tree.has(`${packId}/${a.id}`)) tree.set(`${packId}/${a.id}`, new Map());
  const agents: LabAgentView[] = [];
  for (const [key, byVariant] of tree) {
    const [packId, agentKey] = key.split('/') as [string, string];
    const manifest = manifests.get(packId);
    const def = manifest?.agents.find((a) => a.id === agentKey);
    const declared = (def?.variants ?? []).map((v) => ({
      id: v.id,
      name: v.name ?? v.id,
      description: v.description ?? null,
      weight: v.weight,
    }));
    const ids: Array<string | null> = [...new Set<string | null>([...declared.map((d) => d.id), ...byVariant.keys()])];
    const variants: LabVariantView[] = ids.map((id) => {
      const cells = [...(byVariant.get(id)?.values() ?? [])];
      return {
        variant: id,
        name: id === null ? 'As declared' : (declared.find((d) => d.id === id)?.name ?? id),
        spaces: cells.length,
        runs: cells.reduce((n, c) => n + c.runs, 0),
        ...variantFigures(cells),
      };
    });
    const w = winners.get(key);
    agents.push({
      packId,
      packName: manifest?.name ?? packId,
      agentKey,
      agentName: def?.name ?? agentKey,
      declared,
      winner: w ? { variant: w.variant, promotedAt: w.promoted_at.toISOString() } : null,
      variants,
    });
  }
  agents.sort(
    (a, b) =>
      Number(b.declared.length > 0) - Number(a.declared.length > 0) ||
      a.packName.localeCompare(b.packName) ||
      a.agentName.localeCompare(b.agentName),
  );
  return { from: range.from, to: range.to, minSpaces: LAB_MIN_SPACES, optedOutSpaces: await countOptOuts(db), agents };
}

/**
 * Promotes a variant: it becomes what every space runs, for new and existing assignments alike
 * (recorded as the winner, and written on every agent of that pack and agent key). Logged in each
 * space whose agent changes; the operator's own log records the action (the admin routes do).
 */
export async function promoteVariant(ctx: ActorCtx, p: { packId: string; agentKey: string; variant: string }) {
  const manifest = (await latestManifests(ctx.deps.db)).find((m) => m.pack_id === p.packId)?.manifest as PackManifest | undefined;
  const def = manifest?.agents.find((a) => a.id === p.agentKey);
  if (!def) throw new AppError('not_found', `There is no agent "${p.agentKey}" in pack "${p.packId}".`);
  const variant = def.variants?.find((v) => v.id === p.variant);
  if (!variant) throw new AppError('invalid_input', `body.variant: agent ${p.agentKey} has no variant "${p.variant}".`);
  const updated = await inSystemTransaction(ctx.deps.db, async (tx) => {
    await upsertWinner(tx, {
      pack_id: p.packId,
      agent_key: p.agentKey,
      variant: p.variant,
      promoted_at: ctx.now(),
      promoted_by: ctx.actor.accountId,
    });
    const rows = await setVariantEverywhere(tx, p.packId, p.agentKey, p.variant);
    for (const spaceId of new Set(rows.map((r) => r.space_id)))
      await logActivity(
        tx,
        {
          spaceId,
          actorKind: 'operator',
          actorAccountId: ctx.actor.accountId,
          kind: 'lab.promoted',
          objectType: 'agent',
          summary: `${def.name} now runs its variant "${variant.name ?? variant.id}", which the operators chose from the experimentation lab`,
          data: { packId: p.packId, agentKey: p.agentKey, variant: p.variant },
        },
        ctx.now(),
      );
    return rows.length;
  });
  ctx.log.info({ ...p, agentsUpdated: updated, by: ctx.actor.accountId }, 'lab variant promoted');
  return { ...p, agentsUpdated: updated };
}
