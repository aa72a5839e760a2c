import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { PackInstallation, PackVersion } from '#core/db.types.js';

export async function upsertPackVersion(db: Db, row: Insertable<PackVersion>): Promise<void> {
  await db
    .insertInto('pack_version')
    .values(row)
    .onConflict((oc) => oc.columns(['pack_id', 'version']).doNothing())
    .execute();
}

/** The newest version of every pack in the catalog. */
export async function listLatestVersions(db: Db) {
  const rows = await db.selectFrom('pack_version').selectAll().orderBy('pack_id').orderBy('created_at', 'desc').execute();
  const seen = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!seen.has(r.pack_id)) seen.set(r.pack_id, r);
  return [...seen.values()];
}

export async function findLatestVersion(db: Db, packId: string) {
  return db.selectFrom('pack_version').selectAll().where('pack_id', '=', packId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

export async function findPackVersion(db: Db, id: string) {
  return db.selectFrom('pack_version').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Live installations of a pack on other versions than `versionId`, in every space (system work: the update offer job). */
export async function listInstallationsBehind(db: Db, packId: string, versionId: string) {
  return db
    .selectFrom('pack_installation as i')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .innerJoin('account as a', 'a.id', 'i.owner_account_id')
    .select(['i.id', 'i.space_id', 'i.owner_account_id', 'i.granted_scopes', 'v.manifest', 'v.version', 'a.time_zone'])
    .where('i.pack_id', '=', packId)
    .where('i.pack_version_id', '<>', versionId)
    .where('i.status', '<>', 'uninstalled')
    .execute();
}

export async function findVersionByHash(db: Db, packId: string, hash: string) {
  return db
    .selectFrom('pack_version')
    .select(['id', 'version'])
    .where('pack_id', '=', packId)
    .where('bundle_sha256', '=', hash)
    .executeTakeFirst();
}

export async function insertInstallation(db: Db, row: Insertable<PackInstallation>): Promise<void> {
  await db.insertInto('pack_installation').values(row).execute();
}

const withVersion = (db: Db, spaceId: string) =>
  db
    .selectFrom('pack_installation as i')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .leftJoin('account as c', 'c.id', 'i.created_by')
    .leftJoin('account as u', 'u.id', 'i.updated_by')
    .selectAll('i')
    .select(['v.manifest', 'v.version', 'c.display_name as created_by_name', 'u.display_name as updated_by_name'])
    .where('i.space_id', '=', spaceId);

export async function listInstallations(db: Db, spaceId: string, includeUninstalled: boolean) {
  let q = withVersion(db, spaceId).orderBy('i.created_at');
  if (!includeUninstalled) q = q.where('i.status', '<>', 'uninstalled');
  return q.execute();
}
export type InstallationRow = Awaited<ReturnType<typeof listInstallations>>[number];

export async function findInstallation(db: Db, spaceId: string, id: string) {
  return withVersion(db, spaceId).where('i.id', '=', id).executeTakeFirst();
}

export async function updateInstallation(db: Db, spaceId: string, id: string, set: Updateable<PackInstallation>): Promise<void> {
  await db.updateTable('pack_installation').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}

/** Live (not uninstalled) installations of a space, every member's included: plan limits are pooled. */
export async function countActiveInstallations(db: Db, spaceId: string): Promise<number> {
  const r = await db
    .selectFrom('pack_installation')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('space_id', '=', spaceId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function listActiveInstallationIds(db: Db, spaceId: string) {
  return db
    .selectFrom('pack_installation')
    .select(['id', 'paused_reason', 'status'])
    .where('space_id', '=', spaceId)
    .where('status', '<>', 'uninstalled')
    .orderBy('created_at')
    .execute();
}

export async function disableAgentsOf(db: Db, spaceId: string, installationId: string, now: Date): Promise<void> {
  await sql`update agent set next_run_at = null, updated_at = ${now} where space_id = ${spaceId} and installation_id = ${installationId}`.execute(
    db,
  );
}
