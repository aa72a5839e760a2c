import type { ActivityEntry } from '@csme/contracts/activity';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { newId } from '#core/ids.js';
import { entryHash, GENESIS } from './activity.policy.js';
import { advanceHead, findHead, insertEntry, listEntries, lockHead, streamEntries } from './activity.repository.js';

export interface ActivityInput {
  spaceId: string;
  /** The member a private entry belongs to; shared entries leave it null. */
  ownerAccountId?: string | null;
  visibility?: 'shared' | 'private';
  actorKind: 'person' | 'agent' | 'system' | 'operator';
  actorAccountId?: string | null;
  agentId?: string | null;
  /** `connector.read`, `model.call`, `suggestion.created`, `suggestion.approved`, `action.performed`, `settings.changed`, ... */
  kind: string;
  objectType?: string | null;
  objectId?: string | null;
  summary: string;
  data?: Record<string, unknown>;
}

/**
 * Appends one entry to the space's hash-chained log, in the caller's transaction (so an entry exists
 * if and only if what it records committed). Appends of one space are serialised by its chain head.
 */
export async function logActivity(db: Db, e: ActivityInput, now: Date): Promise<void> {
  const run = async (tx: Db) => {
    const head = await lockHead(tx, e.spaceId);
    const entry = {
      space_id: e.spaceId,
      seq: head.seq + 1,
      id: newId(),
      at: new Date(Math.floor(now.getTime())),
      owner_account_id: e.ownerAccountId ?? null,
      visibility: e.visibility ?? (e.ownerAccountId ? 'private' : 'shared'),
      actor_kind: e.actorKind,
      actor_account_id: e.actorAccountId ?? null,
      agent_id: e.agentId ?? null,
      kind: e.kind,
      object_type: e.objectType ?? null,
      object_id: e.objectId ?? null,
      summary: e.summary.slice(0, 500),
      data: e.data ?? {},
    };
    const hash = entryHash(head.hash, entry);
    await insertEntry(tx, { ...entry, seq: String(entry.seq), data: JSON.stringify(entry.data), prev_hash: head.hash, hash });
    await advanceHead(tx, e.spaceId, entry.seq, hash);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

export async function listActivity(
  ctx: ActorCtx,
  q: { limit: number; cursor?: string; kind?: string; agentId?: string; objectId?: string; from?: string; to?: string },
): Promise<{ items: ActivityEntry[]; nextCursor: string | null }> {
  return inSpace(ctx, async (c) => {
    const rows = await listEntries(c.db, ctx.actor.spaceId, {
      limit: q.limit,
      beforeSeq: q.cursor ? Number(q.cursor) : undefined,
      kind: q.kind,
      agentId: q.agentId,
      objectId: q.objectId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
    });
    const items = rows.slice(0, q.limit).map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      at: r.at.toISOString(),
      actorKind: r.actor_kind as ActivityEntry['actorKind'],
      actorAccountId: r.actor_account_id,
      agentId: r.agent_id,
      kind: r.kind,
      objectType: r.object_type,
      objectId: r.object_id,
      summary: r.summary,
      data: (r.data ?? {}) as Record<string, unknown>,
      visibility: r.visibility as ActivityEntry['visibility'],
      hash: r.hash,
    }));
    return { items, nextCursor: rows.length > q.limit ? String(items.at(-1)!.seq) : null };
  });
}

export interface ChainReport {
  entries: number;
  valid: boolean;
  brokenAtSeq: number | null;
  headHash: string | null;
}

/** Recomputes the whole chain of a space (system work: every entry, private ones included). */
export async function verifyChain(ctx: Ctx, spaceId: string): Promise<ChainReport> {
  let prev = GENESIS;
  let expectSeq = 1;
  let n = 0;
  for await (const r of streamEntries(ctx.deps.db, spaceId)) {
    const seq = Number(r.seq);
    const ok = seq === expectSeq && r.prev_hash === prev && entryHash(prev, { ...r, seq, data: r.data, at: r.at }) === r.hash;
    if (!ok) return { entries: n, valid: false, brokenAtSeq: seq, headHash: null };
    prev = r.hash;
    expectSeq++;
    n++;
  }
  const head = await findHead(ctx.deps.db, spaceId);
  if (head && (Number(head.seq) !== n || head.hash !== (n ? prev : GENESIS)))
    return { entries: n, valid: false, brokenAtSeq: n + 1, headHash: head.hash };
  return { entries: n, valid: true, brokenAtSeq: null, headHash: n ? prev : null };
}
