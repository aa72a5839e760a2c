import type { Insertable, Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Promotion } from '#core/db.types.js';

/** An installation with its pack version and agents: what a promotion exports (tenant transaction: RLS applies). */
export async function findInstallationForExport(db: Db, spaceId: string, installationId: string) {
  const inst = await db
    .selectFrom('pack_installation as i')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .innerJoin('space as sp', 'sp.id', 'i.space_id')
    .select([
      'i.id',
      'i.pack_id',
      'i.visibility',
      'i.status',
      'i.settings',
      'i.granted_scopes',
      'i.local_only',
      'i.created_at',
      'v.version',
      'v.manifest',
      'v.files',
      'v.bundle_sha256',
      'v.source',
      'sp.kind as space_kind',
    ])
    .where('i.space_id', '=', spaceId)
    .where('i.id', '=', installationId)
    .where('i.status', '<>', 'uninstalled')
    .executeTakeFirst();
  if (!inst) return undefined;
  const agents = await db
    .selectFrom('agent')
    .select(['id', 'agent_key', 'enabled', 'policies', 'variant'])
    .where('space_id', '=', spaceId)
    .where('installation_id', '=', installationId)
    .execute();
  return { ...inst, agents };
}

export async function insertPromotion(db: Db, row: Insertable<Promotion>): Promise<void> {
  await db.insertInto('promotion').values(row).execute();
}

export async function findPromotion(db: Db, spaceId: string, id: string) {
  return db.selectFrom('promotion').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

export async function listPromotionsOf(db: Db, spaceId: string) {
  return db
    .selectFrom('promotion')
    .select([
      'id',
      'installation_id',
      'pack_id',
      'pack_name',
      'state',
      'attempts',
      'last_error',
      'remote_ref',
      'created_at',
      'updated_at',
      'sent_at',
    ])
    .where('space_id', '=', spaceId)
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
}

export async function updatePromotion(db: Db, spaceId: string, id: string, set: Updateable<Promotion>): Promise<void> {
  await db.updateTable('promotion').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}
