import { createHash } from 'node:crypto';
import type { ConnectorInput, ConnectorKind, ConnectorView, TestResult } from '@csme/contracts/connectors';
import type { FullLimits } from '@csme/contracts/plans';
import { sql } from 'kysely';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { inTenant } from '#core/db.js';
import { normalizeHost, parseHttpUrl } from '#core/egress.js';
import { AppError, isAppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { addJob } from '#core/jobs.js';
import type { SkillContext } from '#core/skill.js';
import { VaultError } from '#core/vault.js';
import { logActivity } from '#modules/activity/index.js';
import { notify } from '#modules/notifications/index.js';
import { getEntitlements, limitError } from '#modules/plans/index.js';
import { raiseEvent } from '#modules/runs/index.js';
import { parseCalendar } from './calendar/ical.js';
import { calendarWindow, storeEvents, testCalendar } from './calendar/sync.js';
import { syncConnectorJob } from './connectors.jobs.js';
import { credentialsScope, KIND_WORDS, kindInPlan } from './connectors.policy.js';
import { presentConnector } from './connectors.presenter.js';
import {
  type ConnectorRow,
  countConnectorsByKind,
  deleteConnectorRow,
  findConnector,
  findConnectorForUpdate,
  insertConnector,
  listConnectorRows,
  updateConnectorRow,
} from './connectors.repository.js';
import { type Credentials, type EmailConfig, testEmail } from './email/imap.js';
import { testFeed } from './feeds/sync.js';

// ---------------------------------------------------------------- input

interface Normalized {
  kind: ConnectorKind;
  name: string;
  visibility: 'shared' | 'private';
  /** The main host (shown; IMAP for email). */
  host: string | null;
  /** Every host the credentials may be sent to. */
  hosts: string[];
  config: Record<string, unknown>;
  secret: Credentials | null;
}

/** Checks and canonicalises what a person typed: hosts and URLs as the guard reads them. */
function normalize(input: ConnectorInput): Normalized {
  const base = { name: input.name, visibility: input.visibility };
  switch (input.kind) {
    case 'email': {
      const imap = { ...input.imap, host: normalizeHost(input.imap.host) };
      const smtp = { ...input.smtp, host: normalizeHost(input.smtp.host) };
      return {
        ...base,
        kind: 'email',
        host: imap.host,
        hosts: [...new Set([imap.host, smtp.host])],
        config: { imap, smtp, username: input.username, fromAddress: input.fromAddress ?? null, fromName: input.fromName ?? null },
        secret: input.password ? { password: input.password } : null,
      };
    }
    case 'ics':
    case 'feed': {
      const url = parseHttpUrl(input.url.replace(/^webcals?:\/\//i, 'https://'));
      return { ...base, kind: input.kind, host: url.hostname, hosts: [url.hostname], config: { url: url.toString() }, secret: null };
    }
    case 'caldav': {
      const url = parseHttpUrl(input.url);
      return {
        ...base,
        kind: 'caldav',
        host: url.hostname,
        hosts: [url.hostname],
        config: { url: url.toString(), username: input.username },
        secret: input.password ? { password: input.password } : null,
      };
    }
    case 'http': {
      const allow = input.allow.map((u) => parseHttpUrl(u).toString());
      const hosts = [...new Set(allow.map((u) => new URL(u).hostname))];
      if (Boolean(input.headerName) !== Boolean(input.headerValue) && input.headerValue)
        throw new AppError('invalid_input', 'Give the header name together with its value.');
      return {
        ...base,
        kind: 'http',
        host: hosts[0] ?? null,
        hosts,
        config: { allow, headerName: input.headerName ?? null },
        secret: input.headerValue ? { headerValue: input.headerValue } : null,
      };
    }
  }
}

function needsSecret(kind: ConnectorKind): boolean {
  return kind === 'email' || kind === 'caldav';
}

/** Tries the connection described by `n`, with `creds` sent only to n's own hosts (through the guard). */
async function tryConnection(
  ctx: Ctx,
  n: Normalized,
  creds: Credentials | null,
): Promise<{ message: string; details: Record<string, unknown> }> {
  const egress = ctx.deps.egress;
  switch (n.kind) {
    case 'email': {
      const r = await testEmail(egress, n.config as unknown as EmailConfig, creds ?? {});
      return {
        message: `Connected: signed in to ${(n.config as unknown as EmailConfig).imap.host} (${r.messages} messages in the inbox) and to the outgoing server.`,
        details: r,
      };
    }
    case 'ics':
    case 'caldav': {
      const r = await testCalendar(egress, n.kind, n.config as { url: string; username?: string }, creds);
      return { message: r.message, details: { events: r.events, calendars: r.calendars } };
    }
    case 'feed': {
      const r = await testFeed(egress, String(n.config.url));
      return { message: `Found the feed "${r.title}" with ${r.items} items.`, details: { items: r.items } };
    }
    case 'http': {
      for (const u of n.config.allow as string[]) {
        const url = new URL(u);
        await egress.check(url.hostname, Number(url.port) || (url.protocol === 'https:' ? 443 : 80), 'http');
      }
      return {
        message: `Agents may call ${(n.config.allow as string[]).join(', ')} (each request still goes through the guard).`,
        details: {},
      };
    }
  }
}

// ---------------------------------------------------------------- plan

function planRefusalText(level: 'basic' | 'all', kind: ConnectorKind, planName: string): string {
  if (kind === 'email' && level === 'basic')
    return `${planName} includes one email account, and this space already has one. Upgrade to Personal Pro to connect several.`;
  return `${planName} includes basic connectors (one email account, calendar feeds and news feeds); a ${KIND_WORDS[kind]} needs a plan with all connectors. Upgrade to Personal Pro for all connectors.`;
}

/** Refuses (402) a connector the space's plan does not include. `excludeId`: the connector being edited. */
async function assertPlanAllows(ctx: Ctx, db: Db, spaceId: string, kind: ConnectorKind, excludeId?: string): Promise<void> {
  const ent = await getEntitlements(db, spaceId, ctx.now());
  const level = ent.limits.connectors;
  const counts = await countConnectorsByKind(db, spaceId);
  let emails = counts.email ?? 0;
  if (excludeId && kind === 'email') {
    const self = await findConnector(db, spaceId, excludeId);
    if (self?.kind === 'email' && self.status === 'active') emails--;
  }
  const over = !kindInPlan(level, kind) || (kind === 'email' && level === 'basic' && emails >= 1);
  if (!over) return;
  const err = await limitError(
    db,
    ent,
    'connectors',
    Object.values(counts).reduce((a, b) => a + b, 0),
  );
  throw new AppError('quota_exceeded', planRefusalText(level, kind, ent.plan.name), err.details);
}

/**
 * After a plan change: connectors the plan no longer includes are paused (never deleted), and those
 * it includes again are resumed. On basic, the oldest email account stays active.
 */
export async function enforceConnectorLimits(ctx: Ctx, spaceId: string, limits: FullLimits): Promise<void> {
  const rows = await listConnectorRows(ctx.db, spaceId);
  let emailKept = 0;
  const now = ctx.now();
  for (const r of rows) {
    if ((r.status === 'paused' && r.paused_reason !== 'plan_limit') || r.demo) continue;
    const kind = r.kind as ConnectorKind;
    let allowed = kindInPlan(limits.connectors, kind);
    if (allowed && kind === 'email' && limits.connectors === 'basic') allowed = emailKept++ < 1;
    if (!allowed && r.status === 'active') {
      await updateConnectorRow(ctx.db, spaceId, r.id, { status: 'paused', paused_reason: 'plan_limit', updated_at: now });
      await logActivity(
        ctx.db,
        {
          spaceId,
          ownerAccountId: r.visibility === 'private' ? r.owner_account_id : null,
          actorKind: 'system',
          kind: 'connector.paused',
          objectType: 'connector',
          objectId: r.id,
          summary: `Paused "${r.name}": the plan no longer includes it (nothing was deleted)`,
        },
        now,
      );
    } else if (allowed && r.status === 'paused') {
      await updateConnectorRow(ctx.db, spaceId, r.id, { status: 'active', paused_reason: null, updated_at: now });
      await logActivity(
        ctx.db,
        {
          spaceId,
          ownerAccountId: r.visibility === 'private' ? r.owner_account_id : null,
          actorKind: 'system',
          kind: 'connector.resumed',
          objectType: 'connector',
          objectId: r.id,
          summary: `Resumed "${r.name}": the plan includes it again`,
        },
        now,
      );
      await addJob(
        ctx.db,
        syncConnectorJob,
        { spaceId, connectorId: r.id },
        { jobKey: `connector-sync:${r.id}`, jobKeyMode: 'unsafe_dedupe' },
      );
    }
  }
}

/** The `connectors` usage meter: active connectors of the space. */
export async function countActiveConnectors(db: Db, spaceId: string): Promise<number> {
  return Object.values(await countConnectorsByKind(db, spaceId)).reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------- use cases

function assertMayConnect(ctx: ActorCtx) {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only adults of the family can connect accounts.', { reason: 'child' });
}

/** A child does not see shared connectors (they are the adults' accounts). */
function visibleTo(ctx: ActorCtx, r: ConnectorRow): boolean {
  return !(ctx.actor.role === 'child' && r.visibility === 'shared');
}

async function getRow(ctx: ActorCtx, db: Db, id: string, forUpdate = false): Promise<ConnectorRow> {
  const r = forUpdate ? await findConnectorForUpdate(db, ctx.actor.spaceId, id) : await findConnector(db, ctx.actor.spaceId, id);
  if (!r || !visibleTo(ctx, r)) throw new AppError('not_found', 'That connector was not found.');
  return r;
}

export async function listConnectors(ctx: ActorCtx) {
  const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, ctx.now());
  const rows = await inSpace(ctx, (c) => listConnectorRows(c.db, ctx.actor.spaceId));
  return { items: rows.filter((r) => visibleTo(ctx, r)).map(presentConnector), plan: { connectors: ent.limits.connectors } };
}

export async function getConnector(ctx: ActorCtx, id: string): Promise<ConnectorView> {
  return inSpace(ctx, async (c) => presentConnector(await getRow(ctx, c.db, id)));
}

/** "Test connection": tries what was typed, saves nothing. A failure is an answer (ok: false), not an error. */
export async function testConnector(ctx: ActorCtx, input: ConnectorInput): Promise<TestResult> {
  assertMayConnect(ctx);
  const n = normalize(input);
  if (needsSecret(n.kind) && !n.secret?.password) throw new AppError('invalid_input', 'Give the password (or app password) to test.');
  try {
    const r = await tryConnection(ctx, n, n.secret);
    return { ok: true, message: r.message, details: r.details };
  } catch (e) {
    if (!isAppError(e) || e.code === 'internal') throw e;
    return { ok: false, message: e.message, details: { reason: (e.details as { reason?: string } | undefined)?.reason ?? e.code } };
  }
}

async function testOrRefuse(ctx: Ctx, n: Normalized, creds: Credentials | null): Promise<void> {
  try {
    await tryConnection(ctx, n, creds);
  } catch (e) {
    if (!isAppError(e) || e.code === 'internal' || e.code === 'quota_exceeded') throw e;
    throw new AppError('invalid_input', `The connection did not work, so nothing was saved: ${e.message}`, {
      reason: (e.details as { reason?: string } | undefined)?.reason ?? e.code,
    });
  }
}

export async function createConnector(ctx: ActorCtx, input: ConnectorInput): Promise<ConnectorView> {
  assertMayConnect(ctx);
  const n = normalize(input);
  if (needsSecret(n.kind) && !n.secret?.password) throw new AppError('invalid_input', 'Give the password (or app password).');
  const spaceId = ctx.actor.spaceId;
  await assertPlanAllows(ctx, ctx.deps.db, spaceId, n.kind);
  await testOrRefuse(ctx, n, n.secret);
  const id = newId();
  const credentials = n.secret
    ? await ctx.deps.vault.encryptString(credentialsScope(spaceId, id, n.hosts), JSON.stringify(n.secret))
    : null;
  const now = ctx.now();
  const row = await inSpace(ctx, async (c) => {
    // Two connects at once cannot both pass the plan check: they take turns on the space's lock.
    await sql`select pg_advisory_xact_lock(hashtext(${`connectors:${spaceId}`}))`.execute(c.db);
    await assertPlanAllows(ctx, ctx.deps.db, spaceId, n.kind);
    const r = await insertConnector(c.db, {
      id,
      space_id: spaceId,
      owner_account_id: ctx.actor.accountId,
      visibility: ctx.actor.spaceKind === 'personal' ? 'private' : n.visibility,
      kind: n.kind,
      name: n.name,
      host: n.host,
      config: JSON.stringify({ ...n.config, hosts: n.hosts }),
      credentials,
      sync_phase: n.kind === 'http' ? 'idle' : 'pending',
      created_by: ctx.actor.accountId,
      created_at: now,
      updated_at: now,
    });
    await logActivity(
      c.db,
      {
        spaceId,
        ownerAccountId: r.visibility === 'private' ? ctx.actor.accountId : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'connector.connected',
        objectType: 'connector',
        objectId: id,
        summary: `Connected ${KIND_WORDS[n.kind]} "${n.name}"${n.host ? ` (${n.host})` : ''}`,
      },
      now,
    );
    if (n.kind !== 'http') await addJob(c.db, syncConnectorJob, { spaceId, connectorId: id }, { jobKey: `connector-sync:${id}` });
    return r;
  });
  ctx.log.info({ connectorId: id, kind: n.kind }, 'connector connected');
  return presentConnector(row);
}

export async function updateConnector(ctx: ActorCtx, id: string, input: ConnectorInput): Promise<ConnectorView> {
  const spaceId = ctx.actor.spaceId;
  // Looked up first: a connector one may not see is a 404 (as if it did not exist), not a 403.
  const existing = await inSpace(ctx, (c) => getRow(ctx, c.db, id));
  assertMayConnect(ctx);
  if (existing.demo)
    throw new AppError(
      'invalid_input',
      'This is a sample account of the demo data; it cannot be changed. Remove the demo data on the home page.',
    );
  if (existing.kind !== input.kind)
    throw new AppError('invalid_input', 'A connector cannot change its kind; disconnect it and connect the new one.');
  const n = normalize(input);
  const oldHosts = ((existing.config as { hosts?: string[] }).hosts ?? []).slice().sort();
  const sameHosts = JSON.stringify(oldHosts) === JSON.stringify(n.hosts.slice().sort());
  let creds: Credentials | null = n.secret;
  if (!creds && existing.credentials) {
    if (!sameHosts)
      throw new AppError(
        'invalid_input',
        'You changed the server, so type the password again: a stored password is only ever sent to the server it was given for.',
        { reason: 'password_required' },
      );
    creds = await readCredentials(ctx, existing);
  }
  if (needsSecret(n.kind) && !creds?.password) throw new AppError('invalid_input', 'Give the password (or app password).');
  if (existing.status === 'active') await assertPlanAllows(ctx, ctx.deps.db, spaceId, n.kind, id);
  await testOrRefuse(ctx, n, creds);
  const credentials = creds ? await ctx.deps.vault.encryptString(credentialsScope(spaceId, id, n.hosts), JSON.stringify(creds)) : null;
  const now = ctx.now();
  const row = await inSpace(ctx, async (c) => {
    const cur = await getRow(ctx, c.db, id, true);
    const resetIndex = !sameHosts || JSON.stringify((cur.config as { url?: string }).url) !== JSON.stringify(n.config.url);
    await updateConnectorRow(c.db, spaceId, id, {
      name: n.name,
      host: n.host,
      config: JSON.stringify({ ...n.config, hosts: n.hosts }),
      credentials,
      needs_attention: false,
      last_error: null,
      updated_at: now,
      ...(resetIndex ? { state: JSON.stringify({}), initial_synced_at: null, sync_phase: n.kind === 'http' ? 'idle' : 'pending' } : {}),
    });
    if (resetIndex) await clearIndex(c.db, spaceId, id);
    await logActivity(
      c.db,
      {
        spaceId,
        ownerAccountId: cur.visibility === 'private' ? cur.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'settings.changed',
        objectType: 'connector',
        objectId: id,
        summary: `Changed the connector "${n.name}"`,
      },
      now,
    );
    if (n.kind !== 'http') await addJob(c.db, syncConnectorJob, { spaceId, connectorId: id }, { jobKey: `connector-sync:${id}` });
    return (await findConnector(c.db, spaceId, id))!;
  });
  return presentConnector(row);
}

async function clearIndex(db: Db, spaceId: string, connectorId: string): Promise<void> {
  await db.deleteFrom('mail_message').where('space_id', '=', spaceId).where('connector_id', '=', connectorId).execute();
  await db.deleteFrom('mail_folder').where('space_id', '=', spaceId).where('connector_id', '=', connectorId).execute();
  await db.deleteFrom('calendar_event').where('space_id', '=', spaceId).where('connector_id', '=', connectorId).execute();
  await db.deleteFrom('feed_item').where('space_id', '=', spaceId).where('connector_id', '=', connectorId).execute();
}

/** Disconnect: the connector, its encrypted credentials and its index go (cascade). */
export async function deleteConnector(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    const r = await getRow(ctx, c.db, id, true);
    assertMayConnect(ctx);
    await deleteConnectorRow(c.db, ctx.actor.spaceId, id);
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: r.visibility === 'private' ? r.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'connector.disconnected',
        objectType: 'connector',
        objectId: id,
        summary: `Disconnected "${r.name}" and deleted what was indexed from it`,
      },
      ctx.now(),
    );
  });
}

export async function requestSync(ctx: ActorCtx, id: string): Promise<ConnectorView> {
  return inSpace(ctx, async (c) => {
    const r = await getRow(ctx, c.db, id, true);
    if (r.status === 'paused') throw new AppError('conflict', `"${r.name}" is paused because the plan does not include it.`);
    if (r.kind === 'http' || r.demo) return presentConnector(r);
    // "Needs attention" stays until a sync succeeds (or the connection is edited): a manual retry that
    // fails the same way must not tell the owner a second time.
    await addJob(c.db, syncConnectorJob, { spaceId: ctx.actor.spaceId, connectorId: id }, { jobKey: `connector-sync:${id}` });
    return presentConnector(r);
  });
}

// ---------------------------------------------------------------- shared by the kinds

/** Decrypts a connector's credentials: only possible for the hosts they were given for. */
export async function readCredentials(ctx: Ctx, row: ConnectorRow): Promise<Credentials> {
  if (!row.credentials) return {};
  const hosts = (row.config as { hosts?: string[] }).hosts ?? [];
  let plain: string;
  try {
    plain = await ctx.deps.vault.decryptString(credentialsScope(row.space_id, row.id, hosts), row.credentials);
  } catch (e) {
    if (!(e instanceof VaultError)) throw e;
    // A ciphertext that is not this connector's (copied from elsewhere, or its space key is gone).
    ctx.log.warn({ connectorId: row.id, err: { message: e.message } }, 'connector credentials cannot be decrypted');
    throw new AppError('forbidden', 'The saved password cannot be read any more. Edit the connection and enter the password again.', {
      reason: 'credentials',
      attention: true,
    });
  }
  return JSON.parse(plain) as Credentials;
}

/** Runs `fn` in a tenant transaction as the connector's owner (RLS applies to the sync's writes too). */
export function asOwner<T>(ctx: Ctx, row: Pick<ConnectorRow, 'space_id' | 'owner_account_id'>, fn: (c: Ctx) => Promise<T>): Promise<T> {
  return inTenant(ctx.deps.db, { spaceId: row.space_id, accountId: row.owner_account_id }, (tx) => fn({ ...ctx, db: tx }));
}

export async function recordProgress(ctx: Ctx, row: ConnectorRow, patch: { phase?: string; done?: number; total?: number | null }) {
  await updateConnectorRow(ctx.db, row.space_id, row.id, {
    ...(patch.phase ? { sync_phase: patch.phase } : {}),
    ...(patch.done !== undefined ? { progress_done: patch.done } : {}),
    ...(patch.total !== undefined ? { progress_total: patch.total } : {}),
  });
}

export async function recordSuccess(
  ctx: Ctx,
  row: ConnectorRow,
  o: { itemErrors?: number; itemProblem?: string | null; state?: Record<string, unknown>; initialDone?: boolean },
): Promise<void> {
  const now = ctx.now();
  await updateConnectorRow(ctx.deps.db, row.space_id, row.id, {
    last_sync_at: now,
    last_success_at: now,
    last_error: o.itemProblem ?? null,
    last_error_at: o.itemProblem ? now : null,
    needs_attention: false,
    sync_phase: row.kind === 'http' ? 'idle' : 'live',
    ...(o.itemErrors !== undefined ? { item_errors: o.itemErrors } : {}),
    ...(o.state ? { state: JSON.stringify(o.state) } : {}),
    ...(o.initialDone ? { initial_synced_at: now } : {}),
  });
}

/** Records a failed sync in plain words; when the credentials stopped working, tells the owner once. */
export async function recordFailure(ctx: Ctx, row: ConnectorRow, e: AppError): Promise<void> {
  const now = ctx.now();
  const attention = (e.details as { attention?: boolean } | undefined)?.attention === true;
  // As the system: the email notification goes through the outbox, which tenant transactions cannot write.
  await ctx.deps.db.transaction().execute(async (tx) => {
    const c = { ...ctx, db: tx };
    await updateConnectorRow(c.db, row.space_id, row.id, {
      last_sync_at: now,
      last_error: e.message.slice(0, 1000),
      last_error_at: now,
    });
    // Flipped in one statement: of two syncs failing at once (a manual one and the watcher), only the one
    // that changes the flag tells the owner (the other waits on the row's lock, then finds it set).
    const flipped = attention
      ? await c.db
          .updateTable('connector')
          .set({ needs_attention: true })
          .where('space_id', '=', row.space_id)
          .where('id', '=', row.id)
          .where('needs_attention', '=', false)
          .returning('id')
          .executeTakeFirst()
      : undefined;
    if (flipped) {
      await notify(c, {
        spaceId: row.space_id,
        accountId: row.owner_account_id,
        kind: 'connector.needs_attention',
        title: `"${row.name}" needs attention`,
        body: `${e.message} Agents that read or act through it wait until you fix it: open Connectors, edit it and enter the password again.`,
        url: `/connectors?id=${row.id}`,
        email: true,
      });
      await logActivity(
        c.db,
        {
          spaceId: row.space_id,
          ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
          actorKind: 'system',
          kind: 'connector.needs_attention',
          objectType: 'connector',
          objectId: row.id,
          summary: `"${row.name}" needs attention: its credentials stopped working`,
        },
        now,
      );
    }
  });
}

/**
 * The connector a skill works on: the one named, or the person's first active one of these kinds.
 * Refuses, in words an agent's run shows, when it is paused or needs attention.
 */
export async function connectorForSkill(sctx: SkillContext, kinds: readonly ConnectorKind[], connectorId?: string): Promise<ConnectorRow> {
  const spaceId = sctx.spaceId;
  if (!spaceId) throw new AppError('invalid_input', 'This skill needs a space.');
  const row = await sctx.inScope(async (db) => {
    if (connectorId) return findConnector(db, spaceId, connectorId);
    // A real account before the demo's sample one.
    const rows = (await listConnectorRows(db, spaceId)).sort((a, b) => Number(a.demo) - Number(b.demo));
    return (
      rows.find((r) => kinds.includes(r.kind as ConnectorKind) && r.status === 'active') ??
      rows.find((r) => kinds.includes(r.kind as ConnectorKind))
    );
  });
  if (!row || !kinds.includes(row.kind as ConnectorKind))
    throw new AppError('not_found', `No ${KIND_WORDS[kinds[0]!]} is connected. Connect one under Connectors.`);
  if (row.status === 'paused')
    throw new AppError('forbidden', `"${row.name}" is paused because the plan no longer includes it. Upgrade to use it again.`);
  if (row.needs_attention)
    throw new AppError('forbidden', `"${row.name}" needs attention: ${row.last_error ?? 'its credentials stopped working'}`);
  return row;
}

/** Every read an agent makes through a connector is in the activity log. */
export async function logRead(sctx: SkillContext, row: ConnectorRow, skillId: string, summary: string, data: Record<string, unknown> = {}) {
  if (!sctx.spaceId) return;
  await sctx.inScope((db) =>
    logActivity(
      db,
      {
        spaceId: sctx.spaceId!,
        ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
        actorKind: sctx.agentId ? 'agent' : 'person',
        actorAccountId: sctx.agentId ? null : sctx.accountId,
        agentId: sctx.agentId,
        kind: 'connector.read',
        objectType: 'connector',
        objectId: row.id,
        summary: summary.slice(0, 480),
        data: { skill: skillId, runId: sctx.runId, ...data },
      },
      sctx.now,
    ),
  );
}

// ---------------------------------------------------------------- the demo's sample accounts

export interface DemoMessage {
  messageId: string;
  inReplyTo?: string | null;
  /** The Message-ID of the thread's first message (defaults to inReplyTo, then its own). */
  threadId?: string | null;
  from: { name: string; address: string };
  to: Array<{ name: string; address: string }>;
  cc?: Array<{ name: string; address: string }>;
  subject: string;
  text: string;
  sentAt: Date;
  unread: boolean;
  flagged?: boolean;
}

/**
 * The demo's sample accounts: an email connector whose messages are written straight into the index
 * and an ICS calendar whose events are stored as a sync would store them (occurrences, upcoming
 * events). Both are marked `demo`: they never dial out (host `*.demo.invalid`, skipped by the sync,
 * email actions change only the index), do not count against the plan, and go with their index when
 * the demo data is removed. `email.received` is raised for the `announce` newest unread messages.
 */
export async function createDemoAccounts(
  ctx: Ctx,
  o: {
    spaceId: string;
    ownerAccountId: string;
    visibility: 'shared' | 'private';
    address: string;
    messages: DemoMessage[];
    calendarIcs: string;
    announce: number;
  },
): Promise<{ emailConnectorId: string; calendarConnectorId: string }> {
  const now = ctx.now();
  const base = {
    space_id: o.spaceId,
    owner_account_id: o.ownerAccountId,
    visibility: o.visibility,
    status: 'active',
    sync_phase: 'live',
    initial_synced_at: now,
    last_sync_at: now,
    last_success_at: now,
    demo: true,
    created_by: o.ownerAccountId,
    created_at: now,
    updated_at: now,
  };
  const emailId = newId();
  const calendarId = newId();
  const url = 'https://calendar.demo.invalid/sample.ics';
  const owner = { space_id: o.spaceId, owner_account_id: o.ownerAccountId };
  await asOwner(ctx, owner, async (c) => {
    await insertConnector(c.db, {
      ...base,
      id: emailId,
      kind: 'email',
      name: 'Sample mailbox (demo)',
      host: 'mail.demo.invalid',
      config: JSON.stringify({
        demo: true,
        imap: { host: 'mail.demo.invalid', port: 993, tls: 'tls' },
        smtp: { host: 'mail.demo.invalid', port: 465, tls: 'tls' },
        username: o.address,
        fromAddress: o.address,
        fromName: null,
        hosts: [],
      }),
    });
    await insertConnector(c.db, {
      ...base,
      id: calendarId,
      kind: 'ics',
      name: 'Sample calendar (demo)',
      host: 'calendar.demo.invalid',
      config: JSON.stringify({ demo: true, url, hosts: [] }),
    });
    const rows = [...o.messages].sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime());
    const ids = rows.map(() => newId());
    if (rows.length)
      await c.db
        .insertInto('mail_message')
        .values(
          rows.map((m, i) => ({
            id: ids[i]!,
            space_id: o.spaceId,
            owner_account_id: o.ownerAccountId,
            visibility: o.visibility,
            connector_id: emailId,
            folder: 'INBOX',
            uid_validity: '1',
            uid: String(i + 1),
            message_id: m.messageId,
            in_reply_to: m.inReplyTo ?? null,
            thread_id: m.threadId ?? m.inReplyTo ?? m.messageId,
            subject: m.subject,
            from_address: m.from.address.toLowerCase(),
            from_name: m.from.name,
            to_addresses: JSON.stringify(m.to),
            cc_addresses: JSON.stringify(m.cc ?? []),
            sent_at: m.sentAt,
            flags: [...(m.unread ? [] : ['\\Seen']), ...(m.flagged ? ['\\Flagged'] : [])],
            snippet: m.text.replace(/\s+/g, ' ').trim().slice(0, 240),
            body_text: m.text,
            size: m.text.length,
          })),
        )
        .execute();
    await sql`insert into mail_folder (connector_id, path, space_id, owner_account_id, visibility, uid_validity, last_uid, synced_at)
      values (${emailId}, 'INBOX', ${o.spaceId}, ${o.ownerAccountId}, ${o.visibility}, 1, ${rows.length}, ${now})`.execute(c.db);
    const fresh = rows
      .map((m, i) => ({ m, id: ids[i]!, uid: i + 1 }))
      .filter((x) => x.m.unread)
      .slice(-o.announce);
    for (const x of fresh)
      await raiseEvent(c, {
        spaceId: o.spaceId,
        ownerAccountId: o.ownerAccountId,
        visibility: o.visibility,
        type: 'email.received',
        source: `connector:${emailId}`,
        dedupeKey: `${emailId}:1:${x.uid}`,
        data: { connectorId: emailId, messageId: x.id, threadId: x.m.threadId ?? x.m.inReplyTo ?? x.m.messageId, from: x.m.from.address },
      });
  });
  const calendarRow = (await findConnector(ctx.deps.db, o.spaceId, calendarId))!;
  const parsed = parseCalendar(o.calendarIcs, calendarWindow(now));
  // Stored as a first sync stores them: no "changed" events; the upcoming ones are announced.
  await storeEvents(
    ctx,
    { ...calendarRow, initial_synced_at: null },
    url,
    parsed.events.map((e) => ({ ...e, href: null, etag: null })),
    {
      removeMissing: false,
    },
  );
  return { emailConnectorId: emailId, calendarConnectorId: calendarId };
}

/** Deletes the demo's sample accounts and everything indexed from them (in the caller's transaction). */
export async function deleteDemoAccounts(db: Db, spaceId: string): Promise<number> {
  const r = await db.deleteFrom('connector').where('space_id', '=', spaceId).where('demo', '=', true).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** How much the demo's sample accounts hold: messages and calendar events. */
export async function countDemoIndex(db: Db, spaceId: string): Promise<{ messages: number; events: number }> {
  const r = await sql<{ messages: string; events: string }>`select
      (select count(*) from mail_message m join connector c on c.id = m.connector_id where m.space_id = ${spaceId} and c.demo) as messages,
      (select count(*) from calendar_event e join connector c on c.id = e.connector_id where e.space_id = ${spaceId} and c.demo) as events`.execute(
    db,
  );
  return { messages: Number(r.rows[0]?.messages ?? 0), events: Number(r.rows[0]?.events ?? 0) };
}

/** Puts a file of the demo (marked) in the space, as an upload would; returns its id. */
export async function insertDemoFile(
  db: Db,
  o: {
    spaceId: string;
    ownerAccountId: string;
    visibility: 'shared' | 'private';
    name: string;
    mediaType: string;
    text: string;
    now: Date;
  },
): Promise<string> {
  const id = newId();
  const bytes = Buffer.from(o.text, 'utf8');
  await db
    .insertInto('uploaded_file')
    .values({
      id,
      space_id: o.spaceId,
      owner_account_id: o.ownerAccountId,
      visibility: o.visibility,
      name: o.name,
      media_type: o.mediaType,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      content: bytes,
      text: o.text,
      demo: true,
      created_at: o.now,
    })
    .execute();
  return id;
}

/** Deletes the demo's files (in the caller's transaction). */
export async function deleteDemoFiles(db: Db, spaceId: string): Promise<number> {
  const r = await db.deleteFrom('uploaded_file').where('space_id', '=', spaceId).where('demo', '=', true).executeTakeFirst();
  return Number(r.numDeletedRows);
}
