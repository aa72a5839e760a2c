import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Agent } from '#core/db.types.js';

export async function insertAgents(db: Db, rows: Insertable<Agent>[]): Promise<void> {
  if (rows.length) await db.insertInto('agent').values(rows).execute();
}

export async function updateAgent(db: Db, spaceId: string, id: string, set: Updateable<Agent>): Promise<void> {
  await db.updateTable('agent').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}

/** An agent with its installation, pack version and whether its owner is suspended: what admission and the executor need (system reads). */
export async function findAgentWithPack(db: Db, spaceId: string, agentId: string) {
  return db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .innerJoin('account as o', 'o.id', 'a.owner_account_id')
    .select([
      'a.id',
      'a.space_id',
      'a.owner_account_id',
      'a.visibility',
      'a.installation_id',
      'a.agent_key',
      'a.enabled',
      'a.disabled_reason',
      'a.policies',
      'a.schedule',
      'a.next_run_at',
      'a.store_payloads',
      'a.webhook_secret',
      'a.variant',
      'i.status as installation_status',
      'i.paused_reason',
      'i.settings',
      'i.granted_scopes',
      'i.local_only',
      'i.pack_id',
      'v.manifest',
      'v.files',
      'v.version as pack_version',
      'v.source as pack_source',
      'v.bundle_sha256',
      'v.signature',
      'o.suspended_at as owner_suspended_at',
    ])
    .where('a.space_id', '=', spaceId)
    .where('a.id', '=', agentId)
    .executeTakeFirst();
}

/**
 * Enabled agents of a space that listen to an event type. A private event (a member's own mail) reaches
 * only that member's private agents; a shared event reaches every agent of the space.
 */
export async function listAgentsForEvent(db: Db, a: { spaceId: string; type: string; visibility: string; ownerAccountId: string }) {
  let q = db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .select(['a.id'])
    .where('a.space_id', '=', a.spaceId)
    .where('a.enabled', '=', true)
    .where('i.status', '=', 'active')
    .where(sql<boolean>`a.event_types @> array[${a.type}]::text[]`);
  if (a.visibility === 'private') q = q.where('a.visibility', '=', 'private').where('a.owner_account_id', '=', a.ownerAccountId);
  return q.execute();
}

export async function findAgentByWebhookToken(db: Db, tokenHash: Buffer) {
  return db
    .selectFrom('agent')
    .select(['id', 'space_id', 'owner_account_id', 'webhook_secret'])
    .where('webhook_token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Agents of a space with their pack, for lists (tenant transaction: RLS hides others' private agents). */
export async function listAgentsWithPack(db: Db, spaceId: string, installationId?: string) {
  let q = db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .select([
      'a.id',
      'a.agent_key',
      'a.installation_id',
      'a.enabled',
      'a.disabled_reason',
      'a.policies',
      'a.schedule',
      'a.next_run_at',
      'a.webhook_token_hash',
      'a.store_payloads',
      'a.visibility',
      'a.owner_account_id',
      'i.pack_id',
      'i.status as installation_status',
      'v.manifest',
    ])
    .where('a.space_id', '=', spaceId)
    .where('i.status', '<>', 'uninstalled')
    .orderBy('a.created_at');
  if (installationId) q = q.where('a.installation_id', '=', installationId);
  return q.execute();
}
export type AgentListRow = Awaited<ReturnType<typeof listAgentsWithPack>>[number];

/** Enabled agents of live installations in a space, all members' included (plan limits are pooled). */
export async function countEnabledAgents(db: Db, spaceId: string, packLimit?: number): Promise<number> {
  let q = db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('a.space_id', '=', spaceId)
    .where('a.enabled', '=', true)
    .where('i.status', '=', 'active');
  // Only the packs a pack limit keeps (the oldest, as enforcement keeps them).
  if (packLimit !== undefined)
    q = q.where('i.id', 'in', (s) =>
      s
        .selectFrom('pack_installation')
        .select('id')
        .where('space_id', '=', spaceId)
        .where('status', '=', 'active')
        .orderBy('created_at')
        .limit(packLimit),
    );
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Agents whose scheduled time has come, locked for this scheduler (others skip them), across spaces. */
export async function lockDueAgents(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('agent as a')
    .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .select(['a.id', 'a.space_id', 'a.schedule', 'a.next_run_at'])
    .where('a.next_run_at', '<=', now)
    .where('a.enabled', '=', true)
    .where('i.status', '=', 'active')
    .orderBy('a.next_run_at')
    .limit(limit)
    .forUpdate('a')
    .skipLocked()
    .execute();
}
