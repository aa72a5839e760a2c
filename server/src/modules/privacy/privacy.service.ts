import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { DeletionReport } from '@csme/contracts/privacy';
import { hash as argonHash } from '@node-rs/argon2';
import { sql } from 'kysely';
import yauzl from 'yauzl';
import yazl from 'yazl';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { addJob, removeJob } from '#core/jobs.js';
import { confirmPassword } from '#modules/accounts/index.js';
import { logActivity, purgeActivityBefore, restoreCheckpoint, verifyChain } from '#modules/activity/index.js';
import { invoicePdfOfRow } from '#modules/apps/index.js';
import { checkImportedPack as checkMarketplacePack } from '#modules/marketplace/index.js';
import { notify } from '#modules/notifications/index.js';
import { scopeView, updateInstallation } from '#modules/packs/index.js';
import { getEntitlements, startFreePlan } from '#modules/plans/index.js';
import { privacySetting } from './privacy.config.js';
import {
  compileRedactions,
  EXPORT_FORMAT_VERSION,
  EXPORT_SCHEMA_URL,
  FILE_COLUMNS,
  historyWindowDays,
  INSTANCE_TABLES,
  KEPT_TABLES,
  redactionProblem,
  ruleFor,
  SECRET_COLUMNS,
  type TableInfo,
  type TableRule,
} from './privacy.policy.js';
import { presentDeletion, presentExport, presentRedaction } from './privacy.presenter.js';
import * as R from './privacy.repository.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const exportsDir = (ctx: Ctx) => join(ctx.deps.config.dataDir, 'exports');
const exportPath = (ctx: Ctx, id: string) => join(exportsDir(ctx), `${id}.zip`);
const DAY = 86_400_000;

/** Every table with how it relates to a person, from the live schema. */
/** A date as people read it in a notification (UTC, like the rest of the English texts here). */
const dateOf = (d: Date | null) =>
  d ? d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) : '';

export async function classifyTables(db: Db): Promise<{ table: TableInfo; rule: TableRule }[]> {
  return (await R.discoverTables(db)).map((table) => ({ table, rule: ruleFor(table) }));
}

async function personScope(
  db: Db,
  accountId: string,
): Promise<R.PersonScope & { spaces: Awaited<ReturnType<typeof R.listSpacesOfAccount>> }> {
  const spaces = await R.listSpacesOfAccount(db, accountId);
  return { accountId, spaceIds: spaces.map((s) => s.id), spaces };
}

// ---------------------------------------------------------------- export

export async function requestExport(ctx: ActorCtx) {
  const id = newId();
  await ctx.deps.db.transaction().execute(async (tx) => {
    await R.insertExport(tx, { id, account_id: ctx.actor.accountId, created_at: ctx.now() });
    // One named queue per person: a second export waits until the first one is done.
    await addJob(
      tx,
      (await import('./privacy.jobs.js')).buildExportJob,
      { exportId: id },
      { queueName: `privacy-export-${ctx.actor.accountId}` },
    );
  });
  await logActivity(
    ctx.deps.db,
    {
      spaceId: ctx.actor.spaceId,
      ownerAccountId: ctx.actor.spaceKind === 'family' ? ctx.actor.accountId : null,
      actorKind: 'person',
      actorAccountId: ctx.actor.accountId,
      kind: 'privacy.export_requested',
      objectType: 'privacy_export',
      objectId: id,
      summary: 'Asked for an export of all my data',
    },
    ctx.now(),
  );
  return presentExport((await R.findExport(ctx.deps.db, ctx.actor.accountId, id))!);
}

export async function listExports(ctx: ActorCtx) {
  return { items: (await R.listExportRows(ctx.deps.db, ctx.actor.accountId)).map(presentExport) };
}

/** Writes rows to a zip entry as JSON Lines, waiting for the archive to take them (bounded memory). */
async function writeLines(stream: PassThrough, lines: Iterable<string>): Promise<void> {
  for (const l of lines) if (!stream.write(`${l}\n`)) await once(stream, 'drain');
}

/** Adds one file to the archive and waits until it is written (one file in memory at a time). */
async function addFile(zip: yazl.ZipFile, name: string, bytes: Buffer): Promise<void> {
  const pt = new PassThrough();
  zip.addReadStream(pt, name);
  pt.end(bytes);
  await finished(pt);
}

const safeName = (s: string) => s.replace(/[^\p{L}\p{N}._ -]+/gu, '_').slice(0, 120) || 'file';

/**
 * Builds the archive of one export: every table's rows of the person as JSON Lines (read in one
 * REPEATABLE READ snapshot, so heavy writes meanwhile cannot make it inconsistent), their uploaded
 * files and generated invoice PDFs, the activity chain check, and manifest.json. Streamed to disk.
 */
export async function buildExport(ctx: Ctx, exportId: string): Promise<void> {
  const db = ctx.deps.db;
  const row = await R.findExportById(db, exportId);
  if (!row || (row.status !== 'queued' && row.status !== 'running')) return;
  const accountId = row.account_id;
  const tables = (await classifyTables(db)).filter(
    (t) => t.rule.kind === 'account' || t.rule.kind === 'space' || t.rule.kind === 'tenant' || t.rule.kind === 'personal',
  );
  await R.updateExport(db, exportId, { status: 'running', started_at: ctx.now(), progress_done: 0, progress_total: tables.length + 3 });
  mkdirSync(exportsDir(ctx), { recursive: true, mode: 0o700 });
  const part = `${exportPath(ctx, exportId)}.part`;
  const counts: Record<string, number> = {};
  const fileCounts: Record<string, number> = {};
  let done = 0;
  const progress = async () => R.updateExport(db, exportId, { progress_done: ++done });
  try {
    const zip = new yazl.ZipFile();
    const out = createWriteStream(part, { mode: 0o600 });
    zip.outputStream.pipe(out);
    const written = finished(out);
    const scope = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        const p = await personScope(tx, accountId);
        for (const { table, rule } of tables) {
          const omit = [...table.columns.entries()].filter(([c, type]) => SECRET_COLUMNS.has(c) || type === 'bytea').map(([c]) => c);
          const pt = new PassThrough();
          zip.addReadStream(pt, `data/${table.name}.jsonl`);
          let n = 0;
          await sql`declare privacy_rows no scroll cursor for
              select (to_jsonb(t) - ${sql.val(omit)}::text[])::text as j from ${sql.table(table.name)} t where ${R.personWhere(table, rule, p)}`.execute(
            tx,
          );
          for (;;) {
            const r = await sql<{ j: string }>`fetch 500 from privacy_rows`.execute(tx);
            if (!r.rows.length) break;
            n += r.rows.length;
            await writeLines(
              pt,
              r.rows.map((x) => x.j),
            );
          }
          await sql`close privacy_rows`.execute(tx);
          pt.end();
          await finished(pt);
          counts[table.name] = n;
          const file = FILE_COLUMNS[table.name];
          if (file && n) {
            await sql`declare privacy_files no scroll cursor for
                select t.id::text as id, ${sql.ref(`t.${file.name}`)}::text as name, ${sql.ref(`t.${file.column}`)} as bytes
                from ${sql.table(table.name)} t where ${R.personWhere(table, rule, p)}`.execute(tx);
            for (;;) {
              const r = await sql<{ id: string; name: string; bytes: Buffer }>`fetch 5 from privacy_files`.execute(tx);
              if (!r.rows.length) break;
              for (const f of r.rows) await addFile(zip, `files/${table.name}/${f.id}/${safeName(f.name)}`, f.bytes);
              fileCounts[table.name] = (fileCounts[table.name] ?? 0) + r.rows.length;
            }
            await sql`close privacy_files`.execute(tx);
          }
          await progress();
        }
        // The pack versions the person installed: the packs themselves, for `csme import`.
        const versions = await sql<{ j: string }>`
          select to_jsonb(v)::text as j from pack_version v
          where v.id in (select pack_version_id from pack_installation i where i.space_id = any(${sql.val([...p.spaceIds])}::uuid[])
            and (i.visibility = 'shared' or i.owner_account_id = ${accountId}))`.execute(tx);
        const pv = new PassThrough();
        zip.addReadStream(pv, 'data/pack_version.jsonl');
        await writeLines(
          pv,
          versions.rows.map((x) => x.j),
        );
        pv.end();
        await finished(pv);
        counts.pack_version = versions.rows.length;
        // Generated PDFs of the person's client invoices.
        const invoices = await sql<Record<string, unknown>>`select t.* from client_invoice t where ${R.personWhere(
          tables.find((t) => t.table.name === 'client_invoice')!.table,
          tables.find((t) => t.table.name === 'client_invoice')!.rule,
          p,
        )}`.execute(tx);
        for (const inv of invoices.rows) {
          // A record the PDF cannot be made from is still in data/client_invoice.jsonl; the manifest counts it.
          const made = await invoicePdfOfRow(inv as never).catch(() => null);
          if (!made) {
            fileCounts.client_invoice_pdf_failed = (fileCounts.client_invoice_pdf_failed ?? 0) + 1;
            continue;
          }
          await addFile(zip, `files/client_invoice/${inv.id}/${safeName(made.filename)}`, made.pdf);
          fileCounts.client_invoice_pdf = (fileCounts.client_invoice_pdf ?? 0) + 1;
        }
        await progress();
        const kept = [];
        for (const [table, why] of Object.entries(KEPT_TABLES)) kept.push({ table, rows: counts[table] ?? 0, why });
        return { p, kept };
      });
    // The activity chain of each space, checked end to end (its entries are in data/activity.jsonl).
    const chains = [];
    for (const s of scope.p.spaces) {
      const cp = await db.selectFrom('activity_checkpoint').selectAll().where('space_id', '=', s.id).executeTakeFirst();
      chains.push({
        spaceId: s.id,
        ...(await verifyChain(ctx, s.id)),
        checkpoint: cp
          ? { seq: Number(cp.seq), hash: cp.hash, signature: cp.signature, purgedBefore: cp.purged_before.toISOString() }
          : null,
      });
    }
    zip.addBuffer(Buffer.from(`${JSON.stringify({ chains }, null, 2)}\n`), 'activity-chain.json');
    await progress();
    const manifest = {
      format: 'connectsoft.me export',
      formatVersion: EXPORT_FORMAT_VERSION,
      schema: EXPORT_SCHEMA_URL,
      createdAt: ctx.now().toISOString(),
      accountId,
      spaces: scope.p.spaces.map((s) => ({ id: s.id, kind: s.kind, role: s.role })),
      kinds: Object.entries(counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, count]) => ({ kind, file: `data/${kind}.jsonl`, count })),
      files: fileCounts,
      keptByLaw: scope.kept,
      notIncluded: Object.entries(INSTANCE_TABLES).map(([table, why]) => ({ table, why })),
    };
    zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'manifest.json');
    zip.end();
    await written;
    renameSync(part, exportPath(ctx, exportId));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    await R.updateExport(db, exportId, {
      status: 'ready',
      progress_done: tables.length + 3,
      size_bytes: statSync(exportPath(ctx, exportId)).size,
      counts: JSON.stringify({ ...counts, ...Object.fromEntries(Object.entries(fileCounts).map(([k, v]) => [`files:${k}`, v])) }),
      file_name: `${exportId}.zip`,
      finished_at: ctx.now(),
      expires_at: new Date(ctx.now().getTime() + (await ctx.deps.settings.get(privacySetting)).exportKeepDays * DAY),
    });
    const personal = scope.p.spaces.find((s) => s.kind === 'personal');
    if (personal)
      await notify(
        { ...ctx, db },
        {
          spaceId: personal.id,
          accountId,
          kind: 'privacy.export_ready',
          title: 'Your export is ready',
          body: `An archive of everything of yours (${total} records) is ready to download on the Privacy page. The link works once, until ${dateOf(
            (await R.findExportById(db, exportId))!.expires_at,
          )}.`,
          url: '/privacy',
        },
      );
    if (personal)
      await logActivity(
        db,
        {
          spaceId: personal.id,
          actorKind: 'system',
          kind: 'privacy.export_ready',
          objectType: 'privacy_export',
          objectId: exportId,
          summary: `An export of ${total} records is ready to download`,
        },
        ctx.now(),
      );
    ctx.log.info({ exportId, rows: total }, 'export built');
  } catch (e) {
    rmSync(part, { force: true });
    await R.updateExport(db, exportId, {
      status: 'failed',
      error: 'The export could not be built. Ask for a new one.',
      finished_at: ctx.now(),
    });
    throw e;
  }
}

export async function createDownloadLink(ctx: ActorCtx, exportId: string) {
  const row = await R.findExport(ctx.deps.db, ctx.actor.accountId, exportId);
  if (!row) throw new AppError('not_found', 'Export was not found.');
  if (row.status !== 'ready') throw new AppError('conflict', 'This export is not ready to download.', { status: row.status });
  const token = randomBytes(24).toString('base64url');
  const expiresAt = new Date(ctx.now().getTime() + 15 * 60_000);
  await R.updateExport(ctx.deps.db, exportId, { link_hash: sha256(token), link_expires_at: expiresAt });
  return { url: `/api/v1/privacy/downloads/${token}`, expiresAt: expiresAt.toISOString() };
}

/** The archive behind a single-use link: 404 for another account, after expiry or once used. */
export async function openDownload(ctx: ActorCtx, token: string): Promise<{ stream: Readable; size: number; name: string }> {
  const hash = sha256(token);
  const row = await R.findExportByLink(ctx.deps.db, hash);
  const missing = () => new AppError('not_found', 'This download link was not found, has expired or was used already.');
  if (!row || row.account_id !== ctx.actor.accountId || row.status !== 'ready' || !row.link_expires_at || row.link_expires_at <= ctx.now())
    throw missing();
  const used = await ctx.deps.db
    .updateTable('privacy_export')
    .set({ link_hash: null, link_expires_at: null, downloaded_at: ctx.now() })
    .where('id', '=', row.id)
    .where('link_hash', '=', hash)
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1) throw missing();
  const path = exportPath(ctx, row.id);
  if (!existsSync(path)) throw missing();
  await logActivity(
    ctx.deps.db,
    {
      spaceId: ctx.actor.spaceId,
      ownerAccountId: ctx.actor.spaceKind === 'family' ? ctx.actor.accountId : null,
      actorKind: 'person',
      actorAccountId: ctx.actor.accountId,
      kind: 'privacy.export_downloaded',
      objectType: 'privacy_export',
      objectId: row.id,
      summary: 'Downloaded an export of my data',
    },
    ctx.now(),
  );
  return {
    stream: createReadStream(path),
    size: statSync(path).size,
    name: `connectsoft-me-export-${row.created_at.toISOString().slice(0, 10)}.zip`,
  };
}

// ---------------------------------------------------------------- deletion

const STEPS = ['freeze', 'jobs', 'files', 'family', 'secrets', 'spaces', 'account', 'finish'] as const;
type Step = (typeof STEPS)[number];

async function blockersOf(db: Db, accountId: string) {
  const spaces = await R.listSpacesOfAccount(db, accountId);
  return spaces
    .filter((s) => s.kind === 'family' && s.owner_account_id === accountId && Number(s.members) > 1)
    .map((s) => ({ spaceId: s.id, name: s.name, members: Number(s.members) }));
}

function emptyReport(): DeletionReport {
  return { deleted: {}, keptByLaw: [], files: 0, jobs: 0, secrets: 0, sessions: 0, pushSubscriptions: 0 };
}

/** Counts of what deletion would remove now, and what it would keep by law. */
async function previewDeletion(db: Db, accountId: string): Promise<DeletionReport> {
  const p = await personScope(db, accountId);
  const report = emptyReport();
  for (const { table, rule } of await classifyTables(db)) {
    if (rule.kind === 'instance' || rule.kind === 'unclassified') continue;
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from ${sql.table(table.name)} t where ${R.personWhere(table, rule, p)}`.execute(db);
    const n = r.rows[0]?.n ?? 0;
    if (!n) continue;
    const why = KEPT_TABLES[table.name];
    if (why) report.keptByLaw.push({ table: table.name, rows: n, why });
    else report.deleted[table.name] = n;
  }
  return report;
}

export async function getDeletionState(ctx: ActorCtx) {
  const db = ctx.deps.db;
  const row = await R.findLatestDeletion(db, ctx.actor.accountId);
  return {
    deletion: row ? presentDeletion(row) : null,
    graceDays: (await ctx.deps.settings.get(privacySetting)).deletionGraceDays,
    preview: await previewDeletion(db, ctx.actor.accountId),
    blockers: await blockersOf(db, ctx.actor.accountId),
  };
}

export async function requestDeletion(ctx: ActorCtx, input: { password: string }) {
  await confirmPassword(ctx, input.password);
  const db = ctx.deps.db;
  const blockers = await blockersOf(db, ctx.actor.accountId);
  if (blockers.length)
    throw new AppError(
      'conflict',
      `You own a family space with other members (${blockers.map((b) => b.name).join(', ')}). Transfer its ownership to another adult, or remove the other members, before deleting your account.`,
      { reason: 'family_owner', spaces: blockers },
    );
  if (await R.findLiveDeletion(db, ctx.actor.accountId)) throw new AppError('conflict', 'Your account is already scheduled for deletion.');
  const graceDays = (await ctx.deps.settings.get(privacySetting)).deletionGraceDays;
  const id = newId();
  const token = randomBytes(24).toString('base64url');
  const executeAfter = new Date(ctx.now().getTime() + graceDays * DAY);
  const { deleteAccountJob } = await import('./privacy.jobs.js');
  await db.transaction().execute(async (tx) => {
    await R.insertDeletion(tx, {
      id,
      account_id: ctx.actor.accountId,
      status: 'scheduled',
      requested_at: ctx.now(),
      execute_after: executeAfter,
      report_token_hash: sha256(token),
    });
    await addJob(tx, deleteAccountJob, { deletionId: id }, { runAt: executeAfter, jobKey: `privacy-delete-${id}` });
    await notify(
      { ...ctx, db: tx },
      {
        spaceId: ctx.actor.spaceId,
        accountId: ctx.actor.accountId,
        kind: 'account.deletion_scheduled',
        title: `Your account will be deleted on ${dateOf(executeAfter)}`,
        body: `You asked to delete your account and everything in it. Changed your mind? Cancel it on the Privacy page before ${dateOf(
          executeAfter,
        )}. If it was not you, sign in, cancel it, and change your password.`,
        url: '/privacy',
        email: true,
      },
    );
  });
  await logActivity(
    db,
    {
      spaceId: ctx.actor.spaceId,
      ownerAccountId: ctx.actor.spaceKind === 'family' ? ctx.actor.accountId : null,
      actorKind: 'person',
      actorAccountId: ctx.actor.accountId,
      kind: 'privacy.deletion_requested',
      objectType: 'privacy_deletion',
      objectId: id,
      summary: `Asked to delete my account on ${executeAfter.toISOString().slice(0, 10)}`,
    },
    ctx.now(),
  );
  ctx.log.info({ deletionId: id }, 'account deletion scheduled');
  return { deletion: presentDeletion((await R.findDeletion(db, id))!), reportToken: token };
}

export async function cancelDeletion(ctx: ActorCtx) {
  const db = ctx.deps.db;
  const row = await R.findLiveDeletion(db, ctx.actor.accountId);
  if (!row) throw new AppError('not_found', 'Your account is not scheduled for deletion.');
  if (row.status !== 'scheduled') throw new AppError('conflict', 'The deletion has started and can no longer be cancelled.');
  await db.transaction().execute(async (tx) => {
    await R.updateDeletion(tx, row.id, { status: 'cancelled', cancelled_at: ctx.now() });
    await removeJob(tx, `privacy-delete-${row.id}`);
    await notify(
      { ...ctx, db: tx },
      {
        spaceId: ctx.actor.spaceId,
        accountId: ctx.actor.accountId,
        kind: 'account.deletion_cancelled',
        title: 'Your account will not be deleted',
        body: 'You cancelled the deletion of your account. Nothing was deleted.',
        url: '/privacy',
        email: true,
      },
    );
  });
  await logActivity(
    db,
    {
      spaceId: ctx.actor.spaceId,
      ownerAccountId: ctx.actor.spaceKind === 'family' ? ctx.actor.accountId : null,
      actorKind: 'person',
      actorAccountId: ctx.actor.accountId,
      kind: 'privacy.deletion_cancelled',
      objectType: 'privacy_deletion',
      objectId: row.id,
      summary: 'Cancelled the deletion of my account',
    },
    ctx.now(),
  );
  return { deletion: presentDeletion((await R.findDeletion(db, row.id))!) };
}

export async function getDeletionReport(ctx: Ctx, token: string) {
  const row = await R.findDeletionByReportToken(ctx.deps.db, sha256(token));
  if (!row) throw new AppError('not_found', 'Report was not found.');
  return {
    status: row.status as 'done',
    finishedAt: row.finished_at?.toISOString() ?? null,
    report: row.status === 'done' ? (row.report as DeletionReport) : null,
  };
}

/** Tables in an order where every table comes before the tables it references (children first). */
async function childrenFirst(db: Db, names: string[]): Promise<string[]> {
  const r = await sql<{ child: string; parent: string }>`
    select conrelid::regclass::text as child, confrelid::regclass::text as parent from pg_constraint
    where contype = 'f' and connamespace = 'public'::regnamespace and conrelid <> confrelid`.execute(db);
  const set = new Set(names);
  const parents = new Map<string, Set<string>>();
  for (const e of r.rows)
    if (set.has(e.child) && set.has(e.parent)) (parents.get(e.child) ?? parents.set(e.child, new Set()).get(e.child)!).add(e.parent);
  // Reverse topological order: a table is emitted once every table referencing it was emitted.
  const referencedBy = new Map<string, number>();
  for (const n of names) referencedBy.set(n, 0);
  for (const [, ps] of parents) for (const p of ps) referencedBy.set(p, (referencedBy.get(p) ?? 0) + 1);
  const out: string[] = [];
  const ready = names.filter((n) => referencedBy.get(n) === 0);
  while (ready.length) {
    const n = ready.shift()!;
    out.push(n);
    for (const p of parents.get(n) ?? []) {
      referencedBy.set(p, referencedBy.get(p)! - 1);
      if (referencedBy.get(p) === 0) ready.push(p);
    }
  }
  for (const n of names) if (!out.includes(n)) out.push(n);
  return out;
}

export interface DeletionRunOptions {
  /** Tests: stop as a killed process would, after this step committed. */
  stopAfter?: Step;
  /** Tests: fail inside this step's transaction, after its work and before it is recorded. */
  failIn?: Step;
  jobId?: string | null;
}

/**
 * Deletes an account for real once its grace period is over: each step runs in its own transaction
 * and is recorded in the same transaction, so a crash resumes after the last finished step and a
 * step half done is rolled back. Returns whether it finished.
 */
export async function runDeletion(ctx: Ctx, deletionId: string, opts: DeletionRunOptions = {}): Promise<boolean> {
  const db = ctx.deps.db;
  const row = await R.findDeletion(db, deletionId);
  if (!row || row.status === 'cancelled' || row.status === 'done') return row?.status === 'done';
  if (row.status === 'scheduled') {
    if (row.execute_after > ctx.now()) return false;
    await R.updateDeletion(db, deletionId, { status: 'running', started_at: ctx.now() });
    ctx.log.info({ deletionId }, 'account deletion started');
  }
  const accountId = row.account_id;
  const report: DeletionReport = { ...emptyReport(), ...((row.report as DeletionReport | null) ?? {}) };
  const stepsDone = new Set(row.steps_done);
  for (const step of STEPS) {
    if (stepsDone.has(step)) continue;
    await db.transaction().execute(async (tx) => {
      await deletionStep(ctx, tx, step, accountId, report, opts.jobId ?? null);
      if (step === 'finish') await R.updateDeletion(tx, deletionId, { status: 'done', finished_at: ctx.now() });
      if (opts.failIn === step) throw new Error(`fault injected in step ${step}`);
      await R.markStepDone(tx, deletionId, step, report);
    });
    if (opts.stopAfter === step) return false;
  }
  ctx.log.info({ deletionId, tables: Object.keys(report.deleted).length }, 'account deleted');
  return true;
}

const add = (report: DeletionReport, table: string, n: number) => {
  if (n > 0) report.deleted[table] = (report.deleted[table] ?? 0) + n;
};
const affected = (r: { numAffectedRows?: bigint }) => Number(r.numAffectedRows ?? 0);

async function deletionStep(ctx: Ctx, tx: Db, step: Step, accountId: string, report: DeletionReport, jobId: string | null) {
  const p = await personScope(tx, accountId);
  const spaces = p.spaces;
  // Spaces that go with the account: the personal one, and family spaces the person alone is in.
  const gone = spaces.filter((s) => s.owner_account_id === accountId && (s.kind === 'personal' || Number(s.members) <= 1)).map((s) => s.id);
  const stays = spaces.filter((s) => !gone.includes(s.id));
  const tables = await classifyTables(tx);
  switch (step) {
    case 'freeze': {
      if (gone.length) await tx.updateTable('space').set({ status: 'deleting' }).where('id', 'in', gone).execute();
      report.sessions += Number((await tx.deleteFrom('session').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
      report.pushSubscriptions += Number(
        (await tx.deleteFrom('push_subscription').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows,
      );
      await tx
        .updateTable('agent')
        .set({ enabled: false })
        .where('space_id', 'in', gone.length ? gone : ['00000000-0000-0000-0000-000000000000'])
        .execute();
      return;
    }
    case 'jobs': {
      // Job payloads carry ids: a queued, failed or finished job of any of the person's rows goes.
      const ids = new Set<string>([accountId, ...gone]);
      for (const { table, rule } of tables) {
        if (!table.columns.has('id') || rule.kind === 'instance' || rule.kind === 'unclassified') continue;
        const r = await sql<{
          id: string;
        }>`select t.id::text as id from ${sql.table(table.name)} t where ${R.personWhere(table, rule, p)}`.execute(tx);
        for (const x of r.rows) ids.add(x.id);
      }
      report.jobs += await R.deleteJobsReferencing(tx, [...ids], jobId);
      return;
    }
    case 'files': {
      const exports = await tx.selectFrom('privacy_export').select(['id']).where('account_id', '=', accountId).execute();
      for (const e of exports) {
        for (const f of [exportPath(ctx, e.id), `${exportPath(ctx, e.id)}.part`]) {
          if (existsSync(f)) {
            rmSync(f, { force: true });
            report.files++;
          }
        }
      }
      add(
        report,
        'privacy_export',
        Number((await tx.deleteFrom('privacy_export').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows),
      );
      // Uploaded files live in the database (uploaded_file.content) and go with their rows below.
      return;
    }
    case 'family': {
      // In a family space the person stays out of: their private objects go, shared ones pass to the owner.
      for (const s of stays) {
        for (const { table, rule } of await childrenFirstRules(tx, tables)) {
          if (rule.kind !== 'tenant' || !rule.visibility) continue;
          const t = sql.table(table.name);
          add(
            report,
            table.name,
            affected(
              await sql`delete from ${t} where space_id = ${s.id} and owner_account_id = ${accountId} and visibility = 'private'`.execute(
                tx,
              ),
            ),
          );
          await sql`update ${t} set owner_account_id = ${s.owner_account_id} where space_id = ${s.id} and owner_account_id = ${accountId}`.execute(
            tx,
          );
        }
        add(
          report,
          'reminder',
          affected(await sql`delete from reminder where space_id = ${s.id} and assignee_account_id = ${accountId}`.execute(tx)),
        );
        add(
          report,
          'membership',
          affected(await sql`delete from membership where space_id = ${s.id} and account_id = ${accountId}`.execute(tx)),
        );
      }
      return;
    }
    case 'secrets': {
      // The space's data key: without it nothing encrypted for the space can be read again.
      if (gone.length)
        report.secrets += Number((await tx.deleteFrom('data_key').where('space_id', 'in', gone).executeTakeFirst()).numDeletedRows);
      return;
    }
    case 'spaces': {
      if (!gone.length) return;
      await tx.updateTable('account').set({ personal_space_id: null }).where('id', '=', accountId).execute();
      const spaceArr = sql`${sql.val(gone)}::uuid[]`;
      for (const { table, rule } of await childrenFirstRules(tx, tables)) {
        if (rule.kind !== 'tenant') continue;
        const t = sql.table(table.name);
        if (KEPT_TABLES[table.name]) {
          if (table.name === 'invoice')
            add(report, 'invoice', affected(await sql`delete from ${t} where space_id = any(${spaceArr}) and not kept_by_law`.execute(tx)));
          await sql`update ${t} set space_id = null where space_id = any(${spaceArr})`.execute(tx);
          continue;
        }
        add(report, table.name, affected(await sql`delete from ${t} where space_id = any(${spaceArr})`.execute(tx)));
      }
      add(report, 'space', affected(await sql`delete from space where id = any(${spaceArr})`.execute(tx)));
      return;
    }
    case 'account': {
      for (const { table, rule } of await childrenFirstRules(tx, tables)) {
        if (rule.kind !== 'tenant' && rule.kind !== 'personal') continue;
        if (table.name === 'privacy_export') continue;
        const t = sql.table(table.name);
        const owners = rule.ownerColumns;
        if (KEPT_TABLES[table.name]) {
          // Kept by law, anonymised: the link to the person goes.
          for (const c of table.accountFks.map((f) => f.column))
            await sql`update ${t} set ${sql.ref(c)} = null where ${sql.ref(c)} = ${accountId}`.execute(tx);
          continue;
        }
        if (table.name === 'listing_screenshot') {
          add(
            report,
            table.name,
            affected(
              await sql`delete from ${t} where pack_id in (select pack_id from listing where creator_account_id = ${accountId})`.execute(
                tx,
              ),
            ),
          );
          continue;
        }
        if (!owners.length) continue;
        add(
          report,
          table.name,
          affected(
            await sql`delete from ${t} where ${sql.join(
              owners.map((c) => sql`${sql.ref(c)} = ${accountId}`),
              sql` or `,
            )}`.execute(tx),
          ),
        );
      }
      add(report, 'account', affected(await sql`delete from account where id = ${accountId}`.execute(tx)));
      report.keptByLaw = [];
      for (const [table, why] of Object.entries(KEPT_TABLES)) report.keptByLaw.push({ table, rows: 0, why });
      return;
    }
    case 'finish':
      return;
  }
}

async function childrenFirstRules(db: Db, tables: { table: TableInfo; rule: TableRule }[]) {
  const order = await childrenFirst(
    db,
    tables.map((t) => t.table.name),
  );
  return order.map((n) => tables.find((t) => t.table.name === n)!);
}

/** Starts deletions whose grace period is over (the job does this too; this catches a lost job). */
export async function listDueDeletions(db: Db, now: Date) {
  return db
    .selectFrom('privacy_deletion')
    .select(['id'])
    .where((eb) => eb.or([eb.and([eb('status', '=', 'scheduled'), eb('execute_after', '<=', now)]), eb('status', '=', 'running')]))
    .execute();
}

// ---------------------------------------------------------------- retention

/**
 * Purges run history, steps, settled suggestions and activity older than the space's history window
 * (the plan's; after a downgrade the longer old window until 30 days have passed), and per agent older
 * than its own shorter window. Expired export archives are removed too.
 */
export async function purgeHistory(ctx: Ctx): Promise<{ spaces: number; runs: number; activity: number; exports: number }> {
  const db = ctx.deps.db;
  const now = ctx.now();
  let runs = 0;
  let activity = 0;
  const spaces = await R.listSpacesForRetention(db);
  for (const s of spaces) {
    let current: number;
    try {
      current = (await getEntitlements(db, s.id, now)).limits.historyDays;
    } catch {
      continue;
    }
    const window = historyWindowDays(current, await R.recentlyEndedHistoryDays(db, s.id, new Date(now.getTime() - 30 * DAY)));
    const cutoff = new Date(now.getTime() - window * DAY);
    runs += (await R.purgeRuns(db, s.id, cutoff)).runs;
    for (const a of await R.listAgentsWithHistoryDays(db, s.id)) {
      if (a.history_days !== null && a.history_days < window)
        runs += (await R.purgeRuns(db, s.id, new Date(now.getTime() - a.history_days * DAY), a.id)).runs;
    }
    activity += await purgeActivityBefore(ctx, s.id, cutoff);
  }
  let exports = 0;
  for (const e of await R.listExpiredExports(db, now)) {
    rmSync(exportPath(ctx, e.id), { force: true });
    await R.updateExport(db, e.id, { status: 'expired', link_hash: null });
    exports++;
  }
  ctx.log.info({ spaces: spaces.length, runs, activity, exports }, 'history purged');
  return { spaces: spaces.length, runs, activity, exports };
}

// ---------------------------------------------------------------- privacy page

export async function listPackPrivacy(ctx: ActorCtx) {
  const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, ctx.now());
  const items = await inSpace(ctx, async (c) => {
    const rows = await c.db
      .selectFrom('pack_installation as i')
      .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
      .select(['i.id', 'i.pack_id', 'i.status', 'i.paused_reason', 'i.granted_scopes', 'i.local_only', 'v.manifest'])
      .where('i.space_id', '=', ctx.actor.spaceId)
      .where('i.status', '<>', 'uninstalled')
      .orderBy('i.created_at')
      .execute();
    const out = [];
    for (const r of rows) out.push(await packView(c, r));
    return out;
  });
  return { items, historyDays: ent.limits.historyDays };
}

type InstallationLike = {
  id: string;
  pack_id: string;
  status: string;
  paused_reason: string | null;
  granted_scopes: string[];
  local_only: boolean;
  manifest: unknown;
};

async function packView(c: ActorCtx, r: InstallationLike) {
  const since = new Date(c.now().getTime() - 30 * DAY);
  const agents = await c.db
    .selectFrom('agent')
    .select(['id', 'agent_key', 'store_payloads', 'history_days'])
    .where('space_id', '=', c.actor.spaceId)
    .where('installation_id', '=', r.id)
    .orderBy('agent_key')
    .execute();
  const agentIds = agents.map((a) => a.id);
  const none = ['00000000-0000-0000-0000-000000000000'];
  const reads = await c.db
    .selectFrom('activity')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('space_id', '=', c.actor.spaceId)
    .where('kind', 'like', 'connector.read%')
    .where('agent_id', 'in', agentIds.length ? agentIds : none)
    .where('at', '>=', since)
    .executeTakeFirst();
  const calls = await c.db
    .selectFrom('model_call')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('tokens_in'), sql<number>`0`).as('tokens')])
    .where('space_id', '=', c.actor.spaceId)
    .where('agent_id', 'in', agentIds.length ? agentIds : none)
    .where('source', '<>', 'local')
    .where('at', '>=', since)
    .executeTakeFirst();
  const examples = await c.db
    .selectFrom('activity')
    .select(['at', 'kind', 'summary'])
    .where('space_id', '=', c.actor.spaceId)
    .where('agent_id', 'in', agentIds.length ? agentIds : none)
    .where((eb) => eb.or([eb('kind', 'like', 'connector.read%'), eb('kind', 'like', 'model.%')]))
    .where('at', '>=', since)
    .orderBy('seq', 'desc')
    .limit(5)
    .execute();
  const manifest = r.manifest as { name?: string; scopes?: string[]; agents?: { id: string; name?: string }[] };
  return {
    installationId: r.id,
    packId: r.pack_id,
    name: manifest.name ?? r.pack_id,
    status: r.status,
    pausedReason: r.paused_reason,
    scopes: r.granted_scopes.map((s) => ({ scope: s, label: scopeView(s).label })),
    requestedScopes: manifest.scopes ?? [],
    localOnly: r.local_only,
    last30Days: {
      reads: Number(reads?.n ?? 0),
      modelCalls: Number(calls?.n ?? 0),
      tokensSent: Number(calls?.tokens ?? 0),
      examples: examples.map((e) => ({ at: e.at.toISOString(), kind: e.kind, summary: e.summary })),
    },
    agents: agents.map((a) => ({
      id: a.id,
      key: a.agent_key,
      name: manifest.agents?.find((m) => m.id === a.agent_key)?.name ?? a.agent_key,
      storePayloads: a.store_payloads,
      historyDays: a.history_days,
    })),
  };
}

async function installationOf(c: ActorCtx, id: string) {
  const r = await c.db
    .selectFrom('pack_installation as i')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .select(['i.id', 'i.pack_id', 'i.status', 'i.paused_reason', 'i.granted_scopes', 'i.local_only', 'v.manifest'])
    .where('i.space_id', '=', c.actor.spaceId)
    .where('i.id', '=', id)
    .where('i.status', '<>', 'uninstalled')
    .executeTakeFirst();
  if (!r) throw new AppError('not_found', 'Pack installation was not found.');
  return r;
}

function mayConfigure(ctx: ActorCtx) {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Ask an adult of your family to change what packs may do.');
}

export async function updatePackPrivacy(ctx: ActorCtx, id: string, localOnly: boolean) {
  mayConfigure(ctx);
  await updateInstallation(ctx, id, { localOnly });
  return inSpace(ctx, async (c) => packView(c, await installationOf(c, id)));
}

/** Revokes every scope: the pack pauses (reason consent_revoked) until the person consents again. */
export async function revokePackScopes(ctx: ActorCtx, id: string) {
  mayConfigure(ctx);
  return inSpace(ctx, async (c) => {
    const r = await installationOf(c, id);
    await c.db
      .updateTable('pack_installation')
      .set({
        granted_scopes: [],
        status: 'paused',
        paused_reason: 'consent_revoked',
        updated_by: ctx.actor.accountId,
        updated_at: ctx.now(),
      })
      .where('space_id', '=', ctx.actor.spaceId)
      .where('id', '=', id)
      .execute();
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'pack.scopes_revoked',
        objectType: 'pack_installation',
        objectId: id,
        summary: `${(r.manifest as { name?: string }).name ?? r.pack_id}: every permission revoked; paused until consent is given again`,
      },
      ctx.now(),
    );
    return packView(c, await installationOf(c, id));
  });
}

export async function consentPackScopes(ctx: ActorCtx, id: string, scopes: string[]) {
  mayConfigure(ctx);
  return inSpace(ctx, async (c) => {
    const r = await installationOf(c, id);
    const wanted = ((r.manifest as { scopes?: string[] }).scopes ?? []).slice().sort();
    if ([...scopes].sort().join(',') !== wanted.join(','))
      throw new AppError('invalid_input', 'Consent to exactly the permissions the pack asks for.', { scopes: wanted });
    await c.db
      .updateTable('pack_installation')
      .set({
        granted_scopes: wanted,
        ...(r.status === 'paused' && r.paused_reason === 'consent_revoked' ? { status: 'active', paused_reason: null } : {}),
        updated_by: ctx.actor.accountId,
        updated_at: ctx.now(),
      })
      .where('space_id', '=', ctx.actor.spaceId)
      .where('id', '=', id)
      .execute();
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'pack.scopes_granted',
        objectType: 'pack_installation',
        objectId: id,
        summary: `${(r.manifest as { name?: string }).name ?? r.pack_id}: permissions granted again`,
      },
      ctx.now(),
    );
    return packView(c, await installationOf(c, id));
  });
}

export async function updateAgentPrivacy(ctx: ActorCtx, agentId: string, patch: { historyDays?: number | null; storePayloads?: boolean }) {
  mayConfigure(ctx);
  return inSpace(ctx, async (c) => {
    const a = await c.db
      .selectFrom('agent')
      .select(['id'])
      .where('space_id', '=', ctx.actor.spaceId)
      .where('id', '=', agentId)
      .executeTakeFirst();
    if (!a) throw new AppError('not_found', 'Agent was not found.');
    await c.db
      .updateTable('agent')
      .set({
        ...(patch.historyDays !== undefined ? { history_days: patch.historyDays } : {}),
        ...(patch.storePayloads !== undefined ? { store_payloads: patch.storePayloads } : {}),
        updated_at: ctx.now(),
      })
      .where('space_id', '=', ctx.actor.spaceId)
      .where('id', '=', agentId)
      .execute();
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        agentId,
        kind: 'settings.changed',
        objectType: 'agent',
        objectId: agentId,
        summary: 'Changed what the agent keeps (history window, step payloads)',
        data: { ...patch },
      },
      ctx.now(),
    );
    const r = await c.db
      .selectFrom('agent')
      .select(['id', 'store_payloads', 'history_days'])
      .where('id', '=', agentId)
      .executeTakeFirstOrThrow();
    return { id: r.id, storePayloads: r.store_payloads, historyDays: r.history_days };
  });
}

// ---------------------------------------------------------------- redaction

export async function listRedactions(ctx: ActorCtx) {
  const rows = await inSpace(ctx, (c) => R.listRedactionRows(c.db, ctx.actor.spaceId));
  return { items: rows.map(presentRedaction), operator: (await ctx.deps.settings.get(privacySetting)).redactionPatterns };
}

export async function createRedaction(ctx: ActorCtx, input: { label: string; pattern: string }) {
  const problem = redactionProblem(input.pattern);
  if (problem) throw new AppError('invalid_input', `This pattern cannot be used: ${problem}.`);
  const id = newId();
  await inSpace(ctx, async (c) => {
    await c.db
      .insertInto('privacy_redaction')
      .values({
        id,
        space_id: ctx.actor.spaceId,
        owner_account_id: ctx.actor.accountId,
        visibility: 'private',
        label: input.label,
        pattern: input.pattern,
        created_at: ctx.now(),
      })
      .execute();
  });
  const row = await inSpace(ctx, (c) => c.db.selectFrom('privacy_redaction').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  return presentRedaction(row);
}

export async function deleteRedaction(ctx: ActorCtx, id: string) {
  const r = await inSpace(ctx, (c) =>
    c.db.deleteFrom('privacy_redaction').where('space_id', '=', ctx.actor.spaceId).where('id', '=', id).executeTakeFirst(),
  );
  if (!Number(r.numDeletedRows)) throw new AppError('not_found', 'Redaction pattern was not found.');
  return { ok: true as const };
}

/**
 * The patterns masked in a run's stored step payloads, on top of the runtime's built-in masking: the
 * operator's and the run owner's (and the space's shared ones). For the runs module.
 */
export async function redactionPatternsFor(ctx: Ctx, spaceId: string, ownerAccountId: string): Promise<RegExp[]> {
  const rows = await ctx.deps.db
    .selectFrom('privacy_redaction')
    .select(['pattern'])
    .where('space_id', '=', spaceId)
    .where((eb) => eb.or([eb('visibility', '=', 'shared'), eb('owner_account_id', '=', ownerAccountId)]))
    .execute();
  const operator = (await ctx.deps.settings.get(privacySetting)).redactionPatterns;
  return compileRedactions([...operator, ...rows.map((r) => r.pattern)]);
}

// ---------------------------------------------------------------- import

/** Tables `csme import` does not load, and why (docs/export-format.md lists them). */
export const NOT_IMPORTED: Readonly<Record<string, string>> = {
  session: 'sign in again on the new instance',
  account_token: 'emailed links of the old instance',
  api_token: 'tokens of the old instance; make new ones',
  push_subscription: 'subscribe this browser again',
  email_outbox: 'mail the old instance sent',
  subscription: 'the new instance starts you on its Free plan; its operator sets plans',
  usage_counter: 'quota counters start afresh',
  scheduled_change: 'plan changes belong to the old instance',
  billing_profile: "payment details belong to the old instance's provider",
  pack_purchase: "purchases were paid on the old instance's marketplace",
  support_access: 'consent to operator access of the old instance',
  creator_profile: "a creator's profile belongs to the old instance's marketplace",
  listing: "the old instance's marketplace",
  listing_screenshot: "the old instance's marketplace",
  pack_submission: "the old instance's marketplace",
  pack_review: "the old instance's marketplace",
  privacy_export: 'exports of the old instance',
  family_invitation: 'invitation links carry secret tokens, never exported; invite again from the new instance',
  model_credential: 'keys are never exported; add your model key again',
  connector: 'connector passwords are never exported; connect your accounts again (mail and calendars sync again)',
  mail_folder: 'synced again from your mailbox',
  mail_message: 'synced again from your mailbox',
  calendar_event: 'synced again from your calendars',
  calendar_occurrence: 'synced again from your calendars',
  feed_item: 'fetched again from your feeds',
  agent_event: 'events that started runs on the old instance',
  notification: 'notifications of the old instance',
  invoice: "the old instance's billing records (kept there by law)",
  ledger_entry: "the old instance's accounting",
  payout: "the old instance's accounting",
  membership: 'made by the import for the personal space',
  space: 'made by the import (the personal space)',
  account: 'made by the import',
  lab_opt_out: "the old instance's experiments",
  activity_head: 'rebuilt from the imported activity',
};

interface ZipIndex {
  entries: Map<string, yauzl.Entry>;
  read(name: string): Promise<Buffer>;
  close(): void;
}

async function openZip(file: string): Promise<ZipIndex> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (e, z) => (e ? rej(e) : res(z))),
  );
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((res, rej) => {
    zip.on('entry', (e: yauzl.Entry) => {
      entries.set(e.fileName, e);
      zip.readEntry();
    });
    zip.on('end', () => res());
    zip.on('error', rej);
    zip.readEntry();
  });
  return {
    entries,
    async read(name) {
      const e = entries.get(name);
      if (!e) throw new AppError('invalid_input', `The archive has no ${name}.`);
      const s = await new Promise<Readable>((res, rej) => zip.openReadStream(e, (err, st) => (err ? rej(err) : res(st))));
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    close: () => zip.close(),
  };
}

export interface ImportResult {
  accountId: string;
  spaceId: string;
  email: string;
  imported: Record<string, number>;
  heldPacks: string[];
}

/**
 * `csme import`: loads the person's own data from an export archive into this instance (a self-hosting
 * move): their account (with a new password), the personal space with its packs (re-checked: a pack this
 * instance cannot verify is held for its operator's review), settings, apps data and history.
 */
export async function importArchive(ctx: Ctx, file: string, input: { password: string }): Promise<ImportResult> {
  const zip = await openZip(file);
  try {
    const manifest = JSON.parse((await zip.read('manifest.json')).toString('utf8')) as {
      formatVersion: number;
      accountId: string;
      spaces: { id: string; kind: string }[];
      kinds: { kind: string; file: string }[];
    };
    if (manifest.formatVersion !== EXPORT_FORMAT_VERSION)
      throw new AppError(
        'invalid_input',
        `This archive has format version ${manifest.formatVersion}; this instance reads version ${EXPORT_FORMAT_VERSION}.`,
      );
    const lines = async (kind: string) =>
      zip.entries.has(`data/${kind}.jsonl`)
        ? (await zip.read(`data/${kind}.jsonl`))
            .toString('utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
    const [account] = await lines('account');
    const personal = manifest.spaces.find((s) => s.kind === 'personal');
    if (!account || !personal) throw new AppError('invalid_input', 'The archive holds no account or personal space.');
    const db = ctx.deps.db;
    const email = String(account.email);
    if (await db.selectFrom('account').select('id').where('email_normalized', '=', String(account.email_normalized)).executeTakeFirst())
      throw new AppError('conflict', `An account with ${email} already exists on this instance.`);
    const spaceRow = (await lines('space')).find((s) => s.id === personal.id)!;
    const passwordHash = await argonHash(input.password);
    const imported: Record<string, number> = {};
    const heldPacks: string[] = [];
    // Packs first (outside the transaction: a held pack is a submission for review either way).
    const versionMap = new Map<string, string>();
    for (const v of await lines('pack_version')) {
      const files = v.files as Record<string, string>;
      const r = await checkMarketplacePack(ctx, { files, importedByAccountId: null });
      if (r.status === 'verified') versionMap.set(String(v.id), r.versionId);
      else heldPacks.push(`${v.pack_id}@${v.version}`);
    }
    const tables = await classifyTables(db);
    const tenantTables = tables.filter((t) => t.rule.kind === 'tenant' && !NOT_IMPORTED[t.table.name]).map((t) => t.table.name);
    const order = (await childrenFirst(db, tenantTables)).reverse();
    await db.transaction().execute(async (tx) => {
      await sql`insert into account select * from jsonb_populate_record(null::account, ${JSON.stringify({
        ...account,
        password_hash: passwordHash,
        personal_space_id: null,
        is_operator: false,
        suspended_at: null,
        totp_enabled_at: null,
      })}::jsonb)`.execute(tx);
      await sql`insert into space select * from jsonb_populate_record(null::space, ${JSON.stringify({ ...spaceRow, status: 'active' })}::jsonb)`.execute(
        tx,
      );
      await tx.updateTable('account').set({ personal_space_id: personal.id }).where('id', '=', String(account.id)).execute();
      await tx
        .insertInto('membership')
        .values({ id: newId(), space_id: personal.id, account_id: String(account.id), role: 'owner', created_at: ctx.now() })
        .execute();
      await startFreePlan(tx, personal.id, ctx.now());
      const skippedInstallations = new Set<string>();
      const skippedAgents = new Set<string>();
      for (const table of order) {
        let rows = (await lines(table)).filter((r) => r.space_id === personal.id);
        if (table === 'pack_installation') {
          rows = rows.flatMap((r) => {
            const v = versionMap.get(String(r.pack_version_id));
            if (!v) {
              skippedInstallations.add(String(r.id));
              return [];
            }
            return [{ ...r, pack_version_id: v }];
          });
        }
        if (table === 'agent')
          rows = rows.filter((r) => !skippedInstallations.has(String(r.installation_id)) || !skippedAgents.add(String(r.id)));
        if (table === 'agent_run' || table === 'suggestion' || table === 'run_step' || table === 'model_call')
          rows = rows.filter((r) => !skippedAgents.has(String(r.agent_id ?? '')));
        if (table === 'uploaded_file') {
          const withContent = [];
          for (const r of rows) {
            const name = [...zip.entries.keys()].find((k) => k.startsWith(`files/uploaded_file/${r.id}/`));
            if (!name) continue;
            withContent.push({ ...r, content: `\\x${(await zip.read(name)).toString('hex')}` });
          }
          rows = withContent;
        }
        // Links to what is not imported (mail, connectors) become empty rather than failing the import.
        rows = rows.map((r) => ({
          ...r,
          ...('connector_id' in r ? { connector_id: null } : {}),
          ...('source_message_id' in r ? { source_message_id: null } : {}),
        }));
        for (const r of rows) {
          await sql`insert into ${sql.table(table)} select * from jsonb_populate_record(null::${sql.table(table)}, ${JSON.stringify(r)}::jsonb) on conflict do nothing`.execute(
            tx,
          );
        }
        if (rows.length) imported[table] = rows.length;
      }
      // The imported chain continues on this instance: its head, and a checkpoint re-signed here.
      const last = await tx
        .selectFrom('activity')
        .select(['seq', 'hash'])
        .where('space_id', '=', personal.id)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last) await tx.insertInto('activity_head').values({ space_id: personal.id, seq: last.seq, hash: last.hash }).execute();
      await tx.deleteFrom('activity_checkpoint').where('space_id', '=', personal.id).execute();
    });
    const cp = (await lines('activity_checkpoint')).find((r) => r.space_id === personal.id);
    if (cp) await restoreCheckpoint(ctx, personal.id, Number(cp.seq), String(cp.hash), new Date(String(cp.purged_before)));
    ctx.log.info({ accountId: account.id, tables: Object.keys(imported).length }, 'archive imported');
    return { accountId: String(account.id), spaceId: personal.id, email, imported, heldPacks };
  } finally {
    zip.close();
  }
}
