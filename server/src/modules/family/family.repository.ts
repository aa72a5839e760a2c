import { type Insertable, sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { FamilyInvitation } from '#core/db.types.js';

export async function findSpace(db: Db, spaceId: string) {
  return db
    .selectFrom('space')
    .select(['id', 'kind', 'name', 'status', 'owner_account_id', 'read_only_since', 'delete_after'])
    .where('id', '=', spaceId)
    .executeTakeFirst();
}

export async function updateSpaceEnding(
  db: Db,
  spaceId: string,
  set: { status: 'active' | 'read_only' | 'deleting'; read_only_since: Date | null; delete_after: Date | null; now: Date },
) {
  await db
    .updateTable('space')
    .set({ status: set.status, read_only_since: set.read_only_since, delete_after: set.delete_after, updated_at: set.now })
    .where('id', '=', spaceId)
    .execute();
}

export async function setSpaceOwner(db: Db, spaceId: string, accountId: string, now: Date) {
  await db.updateTable('space').set({ owner_account_id: accountId, updated_at: now }).where('id', '=', spaceId).execute();
}

export async function listMembers(db: Db, spaceId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('account as a', 'a.id', 'm.account_id')
    .select(['m.account_id', 'm.role', 'm.created_at', 'a.display_name', 'a.email', 'a.locale'])
    .where('m.space_id', '=', spaceId)
    .orderBy('m.created_at')
    .execute();
}

export async function findMember(db: Db, spaceId: string, accountId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('account as a', 'a.id', 'm.account_id')
    .select(['m.id', 'm.account_id', 'm.role', 'm.created_at', 'a.display_name', 'a.email', 'a.locale'])
    .where('m.space_id', '=', spaceId)
    .where('m.account_id', '=', accountId)
    .executeTakeFirst();
}

export async function updateMemberRole(db: Db, spaceId: string, accountId: string, role: 'owner' | 'adult' | 'child') {
  await db.updateTable('membership').set({ role }).where('space_id', '=', spaceId).where('account_id', '=', accountId).execute();
}

export async function deleteMembership(db: Db, spaceId: string, accountId: string) {
  await db.deleteFrom('membership').where('space_id', '=', spaceId).where('account_id', '=', accountId).execute();
}

export async function countMembers(db: Db, spaceId: string): Promise<number> {
  const r = await db
    .selectFrom('membership')
    .select((e) => e.fn.countAll<string>().as('n'))
    .where('space_id', '=', spaceId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function countPendingInvitations(db: Db, spaceId: string, now: Date): Promise<number> {
  const r = await db
    .selectFrom('family_invitation')
    .select((e) => e.fn.countAll<string>().as('n'))
    .where('space_id', '=', spaceId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertInvitation(db: Db, row: Insertable<FamilyInvitation>) {
  await db.insertInto('family_invitation').values(row).execute();
}

const invitationColumns = [
  'i.id',
  'i.space_id',
  'i.email',
  'i.email_normalized',
  'i.role',
  'i.token_hash',
  'i.status',
  'i.expires_at',
  'i.created_at',
  'i.invited_by_account_id',
  'a.display_name as invited_by_name',
] as const;

export async function listPendingInvitations(db: Db, spaceId: string, now: Date) {
  return db
    .selectFrom('family_invitation as i')
    .leftJoin('account as a', 'a.id', 'i.invited_by_account_id')
    .select(invitationColumns)
    .where('i.space_id', '=', spaceId)
    .where('i.status', '=', 'pending')
    .where('i.expires_at', '>', now)
    .orderBy('i.created_at', 'desc')
    .execute();
}

export async function findInvitation(db: Db, spaceId: string, id: string) {
  return db
    .selectFrom('family_invitation as i')
    .leftJoin('account as a', 'a.id', 'i.invited_by_account_id')
    .select(invitationColumns)
    .where('i.space_id', '=', spaceId)
    .where('i.id', '=', id)
    .executeTakeFirst();
}

/** System lookup by the invitation's id (from a link), locked when it is about to be decided. */
export async function findInvitationById(db: Db, id: string, lock = false) {
  let q = db
    .selectFrom('family_invitation as i')
    .innerJoin('space as s', 's.id', 'i.space_id')
    .leftJoin('account as a', 'a.id', 'i.invited_by_account_id')
    .select([...invitationColumns, 's.name as space_name', 's.status as space_status'])
    .where('i.id', '=', id);
  if (lock) q = q.forUpdate('i');
  return q.executeTakeFirst();
}

export async function markInvitation(
  db: Db,
  id: string,
  set: { status: 'accepted' | 'declined' | 'revoked'; now: Date; acceptedAccountId?: string },
) {
  await db
    .updateTable('family_invitation')
    .set({ status: set.status, decided_at: set.now, accepted_account_id: set.acceptedAccountId ?? null })
    .where('id', '=', id)
    .execute();
}

export async function revokePendingFor(db: Db, spaceId: string, emailNormalized: string, now: Date) {
  await db
    .updateTable('family_invitation')
    .set({ status: 'revoked', decided_at: now })
    .where('space_id', '=', spaceId)
    .where('email_normalized', '=', emailNormalized)
    .where('status', '=', 'pending')
    .execute();
}

export async function findAccountByEmail(db: Db, emailNormalized: string) {
  return db
    .selectFrom('account')
    .select(['id', 'personal_space_id', 'display_name', 'locale'])
    .where('email_normalized', '=', emailNormalized)
    .executeTakeFirst();
}

export async function findPersonalSpaceOf(db: Db, accountId: string): Promise<string> {
  const r = await db.selectFrom('account').select('personal_space_id').where('id', '=', accountId).executeTakeFirstOrThrow();
  if (!r.personal_space_id) throw new Error(`account ${accountId} has no personal space`);
  return r.personal_space_id;
}

/** Sessions acting in a space the account left move to its personal space. */
export async function moveSessionsOut(db: Db, accountId: string, fromSpaceId: string, toSpaceId: string) {
  await db
    .updateTable('session')
    .set({ active_space_id: toSpaceId })
    .where('account_id', '=', accountId)
    .where('active_space_id', '=', fromSpaceId)
    .execute();
}

/** Reminders of others that reminded someone who left now remind their owner. */
export async function reassignReminders(db: Db, spaceId: string, fromAccountId: string) {
  await db
    .updateTable('reminder')
    .set((eb) => ({ assignee_account_id: eb.ref('owner_account_id') }))
    .where('space_id', '=', spaceId)
    .where('assignee_account_id', '=', fromAccountId)
    .execute();
}

export async function listFamilySpacesWithoutFamilyPlan(db: Db) {
  return db
    .selectFrom('space as s')
    .innerJoin('subscription as sub', (j) =>
      j.onRef('sub.space_id', '=', 's.id').on('sub.kind', '=', 'base').on('sub.ended_at', 'is', null),
    )
    .select(['s.id'])
    .where('s.kind', '=', 'family')
    .where('s.status', '=', 'active')
    .where('sub.plan_id', '<>', 'family')
    .execute();
}

export async function listSpacesDueForDeletion(db: Db, now: Date) {
  return db
    .selectFrom('space')
    .select('id')
    .where('kind', '=', 'family')
    .where('status', 'in', ['read_only', 'deleting'])
    .where('delete_after', '<=', now)
    .execute();
}

export async function listActiveFamilySpaces(db: Db) {
  return db.selectFrom('space').select(['id', 'name']).where('kind', '=', 'family').where('status', '=', 'active').execute();
}

export async function deleteSpace(db: Db, spaceId: string) {
  await sql`delete from space where id = ${spaceId} and kind = 'family'`.execute(db);
}

// ---------------------------------------------------------------- the weekly digest (system reads, filtered explicitly)

/** What concerns one member in the coming week: reminders for them, events, open shared list items, suggestions waiting. */
export async function digestFor(db: Db, spaceId: string, accountId: string, from: Date, to: Date) {
  const visible = (t: string) =>
    sql<boolean>`(${sql.ref(`${t}.visibility`)} = 'shared' or ${sql.ref(`${t}.owner_account_id`)} = ${accountId})`;
  const reminders = await db
    .selectFrom('reminder as r')
    .select(['r.id', 'r.title', 'r.due_at'])
    .where('r.space_id', '=', spaceId)
    .where('r.assignee_account_id', '=', accountId)
    .where('r.status', '=', 'active')
    .where('r.due_at', '>=', from)
    .where('r.due_at', '<', to)
    .where(visible('r'))
    .orderBy('r.due_at')
    .limit(20)
    .execute();
  const events = await db
    .selectFrom('calendar_entry as e')
    .select(['e.id', 'e.title', 'e.starts_at'])
    .where('e.space_id', '=', spaceId)
    .where('e.starts_at', '>=', from)
    .where('e.starts_at', '<', to)
    .where(visible('e'))
    .orderBy('e.starts_at')
    .limit(20)
    .execute();
  const openItems = await db
    .selectFrom('list_item as li')
    .innerJoin('list as l', 'l.id', 'li.list_id')
    .select((e) => e.fn.countAll<string>().as('n'))
    .where('li.space_id', '=', spaceId)
    .where('li.done', '=', false)
    .where('l.visibility', '=', 'shared')
    .executeTakeFirstOrThrow();
  const suggestions = await db
    .selectFrom('suggestion as s')
    .select((e) => e.fn.countAll<string>().as('n'))
    .where('s.space_id', '=', spaceId)
    .where('s.status', '=', 'pending')
    .where(visible('s'))
    .executeTakeFirstOrThrow();
  return { reminders, events, openItems: Number(openItems.n), suggestions: Number(suggestions.n) };
}

// ---------------------------------------------------------------- moving objects between spaces

/** Every table whose rows are a member's objects (they carry owner_account_id and visibility), parents before children. */
export const OBJECT_TABLES = [
  'pack_installation',
  'agent',
  'agent_run',
  'run_step',
  'agent_event',
  'suggestion',
  'task',
  'notification',
  'model_credential',
  'model_call',
  'connector',
  'mail_folder',
  'mail_message',
  'calendar_event',
  'calendar_occurrence',
  'feed_item',
  'uploaded_file',
  'promotion',
  'note',
  'list',
  'list_item',
  'list_staple',
  'reminder',
  'contact',
  'calendar_entry',
  'invoice_profile',
  'client_invoice',
  'expense',
  'study_document',
  'card_deck',
  'card',
  'card_state',
] as const;

/** Child rows follow their parent's space (child table, its foreign key, parent table), parents first. */
const FOLLOWS: ReadonlyArray<readonly [string, string, string]> = [
  ['agent', 'installation_id', 'pack_installation'],
  ['promotion', 'installation_id', 'pack_installation'],
  ['agent_run', 'agent_id', 'agent'],
  ['run_step', 'run_id', 'agent_run'],
  ['model_call', 'run_id', 'agent_run'],
  ['mail_folder', 'connector_id', 'connector'],
  ['mail_message', 'connector_id', 'connector'],
  ['calendar_event', 'connector_id', 'connector'],
  ['calendar_occurrence', 'connector_id', 'connector'],
  ['feed_item', 'connector_id', 'connector'],
  ['list_item', 'list_id', 'list'],
  ['list_staple', 'list_id', 'list'],
  ['card', 'deck_id', 'card_deck'],
  ['card_state', 'card_id', 'card'],
];

/**
 * Rows that cannot move because the target space already holds one with the same unique key
 * (an idempotency key, a live installation of the same pack, an invoice number, ...): they stay.
 */
const CLASH: Partial<Record<(typeof OBJECT_TABLES)[number], string>> = {
  pack_installation: `exists (select 1 from pack_installation o where o.space_id = $to and o.pack_id = t.pack_id and o.status <> 'uninstalled' and t.status <> 'uninstalled')`,
  model_credential: `exists (select 1 from model_credential o where o.space_id = $to and o.owner_account_id = $owner)`,
  invoice_profile: `exists (select 1 from invoice_profile o where o.space_id = $to and o.owner_account_id = $owner)`,
  client_invoice: `(t.number is not null or exists (select 1 from client_invoice o where o.space_id = $to and o.idempotency_key = t.idempotency_key))`,
  agent_event: `exists (select 1 from agent_event o where o.space_id = $to and o.type = t.type and o.dedupe_key = t.dedupe_key)`,
  task: `exists (select 1 from task o where o.space_id = $to and o.idempotency_key = t.idempotency_key)`,
  note: `exists (select 1 from note o where o.space_id = $to and o.idempotency_key = t.idempotency_key)`,
  list_item: `exists (select 1 from list_item o where o.space_id = $to and o.idempotency_key = t.idempotency_key)`,
  reminder: `exists (select 1 from reminder o where o.space_id = $to and o.idempotency_key = t.idempotency_key)`,
  calendar_entry: `exists (select 1 from calendar_entry o where o.space_id = $to and o.idempotency_key = t.idempotency_key)`,
  expense: `exists (select 1 from expense o where o.space_id = $to and (o.idempotency_key = t.idempotency_key or o.source_file_id = t.source_file_id or o.source_message_id = t.source_message_id))`,
  study_document: `exists (select 1 from study_document o where o.space_id = $to and o.file_id = t.file_id)`,
  card_deck: `exists (select 1 from card_deck o where o.space_id = $to and (o.idempotency_key = t.idempotency_key or (o.owner_account_id = $owner and o.document_id = t.document_id)))`,
};

export interface MoveSpec {
  readonly from: string;
  /** A personal space: every row that arrives becomes private to `owner`. */
  readonly to: string;
  readonly owner: string;
  /** `private`: the owner's private objects; `shared`: every shared object. */
  readonly which: 'private' | 'shared';
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Moves the rows of one table; returns [moved, kept]. Plain SQL in the caller's (system) transaction. */
export async function moveTable(db: Db, table: (typeof OBJECT_TABLES)[number], m: MoveSpec): Promise<[number, number]> {
  const pick =
    m.which === 'private'
      ? `t.space_id = ${lit(m.from)} and t.owner_account_id = ${lit(m.owner)} and t.visibility = 'private'`
      : `t.space_id = ${lit(m.from)} and t.visibility = 'shared'`;
  const clash = CLASH[table]?.replaceAll('$to', lit(m.to)).replaceAll('$owner', lit(m.owner));
  const moved = await sql
    .raw(
      `update ${table} t set space_id = ${lit(m.to)}, owner_account_id = ${lit(m.owner)}, visibility = 'private' where ${pick}${clash ? ` and not ${clash}` : ''}`,
    )
    .execute(db);
  const kept = clash
    ? await sql.raw<{ n: string }>(`select count(*) as n from ${table} t where ${pick}`).execute(db)
    : { rows: [{ n: '0' }] };
  return [Number(moved.numAffectedRows ?? 0n), Number(kept.rows[0]?.n ?? 0)];
}

/**
 * After a move, children sit with their parents: a child moved without its parent goes back, and the
 * children of a moved parent follow it (made private to the owner in the personal space).
 */
export async function reuniteChildren(db: Db, m: MoveSpec): Promise<void> {
  for (const [child, fk, parent] of FOLLOWS) {
    await sql
      .raw(
        `update ${child} c set space_id = p.space_id,
           owner_account_id = case when p.space_id = ${lit(m.to)} then ${lit(m.owner)} else c.owner_account_id end,
           visibility = case when p.space_id = ${lit(m.to)} then 'private' else c.visibility end
         from ${parent} p where c.${fk} = p.id and c.space_id in (${lit(m.from)}, ${lit(m.to)}) and c.space_id <> p.space_id`,
      )
      .execute(db);
  }
}

/** Rows of the secret-holding tables that a move will take, with their ciphertexts (to re-bind them). */
export async function listSecretsToMove(db: Db, m: MoveSpec) {
  const pick = (q: 'connector' | 'model_credential' | 'agent') =>
    m.which === 'private'
      ? sql.raw(`${q}.space_id = ${lit(m.from)} and ${q}.owner_account_id = ${lit(m.owner)} and ${q}.visibility = 'private'`)
      : sql.raw(`${q}.space_id = ${lit(m.from)} and ${q}.visibility = 'shared'`);
  const connectors = await db
    .selectFrom('connector')
    .select(['id', 'credentials', 'config'])
    .where(pick('connector') as never)
    .where('credentials', 'is not', null)
    .execute();
  const models = await db
    .selectFrom('model_credential')
    .select(['id', 'api_key'])
    .where(pick('model_credential') as never)
    .execute();
  const agents = await db
    .selectFrom('agent')
    .select(['id', 'webhook_secret'])
    .where(sql.raw(`agent.space_id = ${lit(m.from)}`) as never)
    .where('webhook_secret', 'is not', null)
    .execute();
  return { connectors, models, agents };
}

export async function spaceOfRow(db: Db, table: 'connector' | 'model_credential' | 'agent', id: string): Promise<string | undefined> {
  const r = await db.selectFrom(table).select('space_id').where('id', '=', id).executeTakeFirst();
  return r?.space_id;
}

export async function setConnectorCredentials(db: Db, id: string, credentials: Buffer) {
  await db.updateTable('connector').set({ credentials }).where('id', '=', id).execute();
}
export async function setModelApiKey(db: Db, id: string, apiKey: Buffer) {
  await db.updateTable('model_credential').set({ api_key: apiKey }).where('id', '=', id).execute();
}
export async function setAgentWebhookSecret(db: Db, id: string, secret: Buffer) {
  await db.updateTable('agent').set({ webhook_secret: secret }).where('id', '=', id).execute();
}
