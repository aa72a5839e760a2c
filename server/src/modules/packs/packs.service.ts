import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import type { InstallationView, InstallInput, PackDetail, PackSummary } from '@csme/contracts/packs';
import type { FullLimits } from '@csme/contracts/plans';
import { type ManifestProblem, type PackManifest, validateManifest } from '@csme/sdk';
import tar from 'tar-stream';
import { z } from 'zod';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError, pgCode } from '#core/errors.js';
import { newId } from '#core/ids.js';
import type { ModuleDef } from '#core/module.js';
import { findSkill } from '#core/skill.js';
import { logActivity } from '#modules/activity/index.js';
import {
  type AgentSchedule,
  countEnabledAgents,
  createAgentsForInstallation,
  enforceAgentLimit,
  listAgentsOfInstallation,
  neededPlan,
  nextFireTime,
  rescheduleInstallation,
  restoreAgents,
  scheduleProblems,
} from '#modules/agents/index.js';
import { assertWithinLimit, getEntitlements, lockSpaceForLimits } from '#modules/plans/index.js';
import { bundleHash, consentProblems, integrityProblem } from './packs.policy.js';
import { presentInstallation, presentPack } from './packs.presenter.js';
import {
  countActiveInstallations,
  disableAgentsOf,
  findInstallation,
  findLatestVersion,
  findPackVersion,
  findVersionByHash,
  insertInstallation,
  listActiveInstallationIds,
  listInstallations as listInstallationRows,
  listLatestVersions,
  updateInstallation as updateInstallationRow,
  upsertPackVersion,
} from './packs.repository.js';

export const BUILTIN_PACKS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../packs');

export interface LoadedPack {
  manifest: PackManifest;
  files: Record<string, string>;
  hash: string;
}

/** Reads a pack folder: pack.json plus the JavaScript of its code steps (only files it names). */
export function readPackDir(dir: string): LoadedPack {
  const path = join(dir, 'pack.json');
  if (!existsSync(path)) throw new AppError('invalid_input', `${dir} has no pack.json.`);
  let raw: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AppError('invalid_input', `pack.json is not valid JSON: ${(e as Error).message}`);
  }
  const v = validateManifest(raw);
  if (!v.ok)
    throw new AppError('invalid_input', `pack.json is not valid: ${v.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
      problems: v.problems,
    });
  const files: Record<string, string> = { 'pack.json': text };
  for (const a of v.manifest.agents) {
    for (const s of a.steps) {
      if ('code' in s) {
        const p = join(dir, s.code);
        if (!existsSync(p)) throw new AppError('invalid_input', `agent ${a.id}, step ${s.id}: ${s.code} is missing from the pack.`);
        files[s.code] = readFileSync(p, 'utf8');
      }
    }
  }
  return { manifest: v.manifest, files, hash: bundleHash(files) };
}

/**
 * Puts the built-in packs (the `packs/` folder as shipped) into the catalog, checked by their hash:
 * a pack changed without a new version is refused rather than silently replacing what people installed.
 */
export async function syncBuiltinPacks(ctx: Ctx, dir = BUILTIN_PACKS_DIR): Promise<{ loaded: string[] }> {
  const loaded: string[] = [];
  if (!existsSync(dir)) return { loaded };
  for (const name of readdirSync(dir).sort()) {
    const packDir = join(dir, name);
    if (!statSync(packDir).isDirectory() || !existsSync(join(packDir, 'pack.json'))) continue;
    const pack = readPackDir(packDir);
    const m = pack.manifest;
    const same = await findVersionByHash(ctx.db, m.id, pack.hash);
    if (same) {
      loaded.push(`${m.id}@${m.version}`);
      continue;
    }
    const existing = await ctx.db
      .selectFrom('pack_version')
      .select(['bundle_sha256'])
      .where('pack_id', '=', m.id)
      .where('version', '=', m.version)
      .executeTakeFirst();
    if (existing) {
      ctx.log.error(
        { packId: m.id, version: m.version },
        'built-in pack changed without a new version; keeping the version already in the catalog',
      );
      continue;
    }
    await upsertPackVersion(ctx.db, {
      id: newId(),
      pack_id: m.id,
      version: m.version,
      manifest: JSON.stringify(m),
      files: JSON.stringify(pack.files),
      bundle_sha256: pack.hash,
      source: 'builtin',
    });
    loaded.push(`${m.id}@${m.version}`);
  }
  return { loaded };
}

async function installedAsMap(ctx: ActorCtx) {
  const rows = await inSpace(ctx, (c) => listInstallationRows(c.db, ctx.actor.spaceId, false));
  const map = new Map<string, PackSummary['installedAs']>();
  for (const r of rows) {
    const list = map.get(r.pack_id) ?? [];
    list.push({ installationId: r.id, visibility: r.visibility as 'shared' | 'private', status: r.status });
    map.set(r.pack_id, list);
  }
  return map;
}

export async function listPacks(ctx: ActorCtx): Promise<PackSummary[]> {
  const installed = await installedAsMap(ctx);
  return (await listLatestVersions(ctx.db)).map((v) => presentPack(v, installed.get(v.pack_id) ?? []));
}

export async function getPack(ctx: ActorCtx, packId: string): Promise<PackDetail> {
  const v = await findLatestVersion(ctx.db, packId);
  if (!v) throw new AppError('not_found', 'That pack was not found.');
  const installed = await installedAsMap(ctx);
  return { ...presentPack(v, installed.get(packId) ?? []), settingsSchema: (v.manifest as PackManifest).settings };
}

/** Refuses a catalog version whose files or signature do not verify (supply chain: checked at every install and update). */
function assertIntegrity(
  ctx: Ctx,
  v: { pack_id: string; version: string; source: string; files: unknown; bundle_sha256: string; signature: string | null },
) {
  const problem = integrityProblem(ctx.deps.keys.packSigning.publicKeyPem, v);
  if (problem) {
    ctx.log.error({ packId: v.pack_id, version: v.version, problem }, 'pack version failed its integrity check');
    throw new AppError('conflict', `${v.pack_id} ${v.version} cannot be installed: ${problem}.`, { reason: 'integrity' });
  }
}

/** A marketplace version approved and signed by the platform (or an imported one), into the catalog. */
export async function publishPackVersion(
  db: Db,
  v: {
    packId: string;
    version: string;
    manifest: PackManifest;
    files: Record<string, string>;
    bundleSha256: string;
    signature: string;
    source: 'marketplace' | 'import';
    publisherAccountId: string | null;
    now: Date;
  },
): Promise<string> {
  const id = newId();
  await db
    .insertInto('pack_version')
    .values({
      id,
      pack_id: v.packId,
      version: v.version,
      manifest: JSON.stringify(v.manifest),
      files: JSON.stringify(v.files),
      bundle_sha256: v.bundleSha256,
      signature: v.signature,
      source: v.source,
      publisher_account_id: v.publisherAccountId,
      created_at: v.now,
    })
    .execute();
  return id;
}

/**
 * Moves an installation to another version of its pack after consent to exactly the new version's
 * scopes: its files and signature verified, its settings checked against the new schema, agents the
 * new version adds created, agents it drops turned off, schedules recomputed. In the caller's tenant
 * transaction; `actorAccountId` null for an update the platform applied (no new scopes).
 */
export async function moveInstallationToVersion(
  ctx: Ctx,
  a: {
    spaceId: string;
    installationId: string;
    versionId: string;
    grantedScopes: readonly string[];
    actorAccountId: string | null;
    timeZone: string;
  },
): Promise<void> {
  const row = await findInstallation(ctx.db, a.spaceId, a.installationId);
  if (!row || row.status === 'uninstalled') throw new AppError('not_found', 'That installed pack was not found.');
  const v = await findPackVersion(ctx.db, a.versionId);
  if (!v || v.pack_id !== row.pack_id) throw new AppError('not_found', 'That version of the pack was not found.');
  if (v.id === row.pack_version_id) return;
  const manifest = v.manifest as PackManifest;
  const consent = consentProblems(manifest.scopes, a.grantedScopes);
  if (consent) throw new AppError('invalid_input', consent, { reason: 'consent' });
  assertIntegrity(ctx, v);
  const settings = validateSettings(manifest, (row.settings ?? {}) as Record<string, unknown>);
  const now = ctx.now();
  await updateInstallationRow(ctx.db, a.spaceId, a.installationId, {
    pack_version_id: v.id,
    granted_scopes: [...a.grantedScopes].sort(),
    settings: JSON.stringify(settings),
    updated_by: a.actorAccountId,
    updated_at: now,
  });
  const existing = await ctx.db
    .selectFrom('agent')
    .select(['id', 'agent_key'])
    .where('space_id', '=', a.spaceId)
    .where('installation_id', '=', a.installationId)
    .execute();
  const keys = new Set(existing.map((e) => e.agent_key));
  const added = manifest.agents.filter((x) => !keys.has(x.id));
  const dropped = existing.filter((e) => !manifest.agents.some((x) => x.id === e.agent_key));
  for (const d of dropped)
    await ctx.db
      .updateTable('agent')
      .set({ enabled: false, disabled_reason: 'removed_in_update', next_run_at: null, updated_at: now })
      .where('space_id', '=', a.spaceId)
      .where('id', '=', d.id)
      .execute();
  if (added.length) {
    const ent = await getEntitlements(ctx.deps.db, a.spaceId, now);
    await createAgentsForInstallation(ctx.db, {
      spaceId: a.spaceId,
      installationId: a.installationId,
      ownerAccountId: row.owner_account_id,
      visibility: row.visibility as 'shared' | 'private',
      manifest: { ...manifest, agents: added },
      settings,
      timeZone: a.timeZone,
      ent,
      enabledNow: await countEnabledAgents(ctx.deps.db, a.spaceId),
      now,
    });
  }
  await rescheduleInstallation(ctx.db, a.spaceId, a.installationId, manifest, settings, a.timeZone, now);
  await logActivity(
    ctx.db,
    {
      spaceId: a.spaceId,
      ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
      actorKind: a.actorAccountId ? 'person' : 'system',
      actorAccountId: a.actorAccountId,
      kind: 'pack.updated',
      objectType: 'pack_installation',
      objectId: a.installationId,
      summary: `${manifest.name} updated from ${row.version} to ${v.version}; allowed: ${manifest.scopes.join(', ') || 'nothing'}`,
      data: { packId: v.pack_id, from: row.version, to: v.version, scopes: manifest.scopes },
    },
    now,
  );
}

/** Checks settings against the pack's JSON Schema (defaults filled in); every problem named by its field. */
export function validateSettings(manifest: PackManifest, settings: Record<string, unknown>): Record<string, unknown> {
  let schema: z.ZodType;
  try {
    schema = z.fromJSONSchema(manifest.settings as never) as z.ZodType;
  } catch {
    throw new AppError('invalid_input', 'The pack has a settings schema this platform cannot read.');
  }
  const r = schema.safeParse(settings);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: ['body', 'settings', ...i.path.map(String)].join('.'), message: i.message }));
    throw new AppError('invalid_input', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  return r.data as Record<string, unknown>;
}

function assertMayManagePacks(ctx: ActorCtx) {
  if (ctx.actor.role === 'child')
    throw new AppError('forbidden', 'Only an adult of the family can install, change or remove packs.', { reason: 'child' });
}

async function view(ctx: ActorCtx, id: string): Promise<InstallationView> {
  return inSpace(ctx, async (c) => {
    const r = await findInstallation(c.db, ctx.actor.spaceId, id);
    if (!r) throw new AppError('not_found', 'That installed pack was not found.');
    return presentInstallation(r, await listAgentsOfInstallation(c, id));
  });
}

/**
 * Installs a pack after consent to exactly its scopes, with settings checked against its schema.
 * Plan limits are checked under a lock on the space, counting every member's packs and agents.
 * All or nothing: an invalid manifest, setting or schedule installs nothing.
 */
export async function installPack(
  ctx: ActorCtx,
  packId: string,
  input: InstallInput,
  opts: { versionId?: string; viaMarketplace?: boolean } = {},
): Promise<InstallationView> {
  assertMayManagePacks(ctx);
  const v = opts.versionId ? await findPackVersion(ctx.db, opts.versionId) : await findLatestVersion(ctx.db, packId);
  if (!v || v.pack_id !== packId) throw new AppError('not_found', 'That pack was not found.');
  // Marketplace packs are installed from their listing, where the price and the purchase are checked.
  if (v.source !== 'builtin' && !opts.viaMarketplace)
    throw new AppError('forbidden', 'Install this pack from its marketplace page.', {
      reason: 'marketplace',
      url: `/marketplace/${packId}`,
    });
  assertIntegrity(ctx, v);
  const manifest = v.manifest as PackManifest;
  const consent = consentProblems(manifest.scopes, input.grantedScopes);
  if (consent) throw new AppError('invalid_input', consent, { reason: 'consent' });
  const settings = validateSettings(manifest, input.settings);
  const problems = scheduleProblems(manifest, settings, ctx.actor.timeZone);
  if (problems.length) throw new AppError('invalid_input', `This pack's schedule cannot run: ${problems.join('; ')}`);
  if (input.enableAgents) {
    const unknown = input.enableAgents.filter((k) => !manifest.agents.some((a) => a.id === k));
    if (unknown.length) throw new AppError('invalid_input', `The pack has no agent ${unknown.join(', ')}.`);
  }
  const visibility = ctx.actor.spaceKind === 'family' ? (input.visibility ?? 'shared') : 'private';
  const id = newId();
  await inSpace(ctx, async (c) => {
    const now = ctx.now();
    await lockSpaceForLimits(c.db, ctx.actor.spaceId);
    const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, now);
    await assertWithinLimit(ctx.deps.db, ent, 'packs', await countActiveInstallations(ctx.deps.db, ctx.actor.spaceId));
    try {
      await insertInstallation(c.db, {
        id,
        space_id: ctx.actor.spaceId,
        owner_account_id: ctx.actor.accountId,
        visibility,
        pack_id: packId,
        pack_version_id: v.id,
        settings: JSON.stringify(settings),
        granted_scopes: [...input.grantedScopes].sort(),
        created_by: ctx.actor.accountId,
        updated_by: ctx.actor.accountId,
        created_at: now,
        updated_at: now,
      });
    } catch (e) {
      // The same pack installed twice with the same visibility (pack_installation_live_key) is a conflict, not a 500.
      if (pgCode(e) === '23505')
        throw new AppError('conflict', `This pack is already installed${visibility === 'private' ? ' for you' : ' for the family'}.`, {
          reason: 'already_installed',
        });
      throw e;
    }
    const r = await createAgentsForInstallation(c.db, {
      spaceId: ctx.actor.spaceId,
      installationId: id,
      ownerAccountId: ctx.actor.accountId,
      visibility,
      manifest,
      settings,
      timeZone: ctx.actor.timeZone,
      enableKeys: input.enableAgents,
      ent,
      enabledNow: await countEnabledAgents(ctx.deps.db, ctx.actor.spaceId),
      now,
    });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: visibility === 'private' ? ctx.actor.accountId : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'pack.installed',
        objectType: 'pack_installation',
        objectId: id,
        summary: `Installed ${manifest.name} ${v.version} (${r.enabled} agent${r.enabled === 1 ? '' : 's'} on) and allowed: ${manifest.scopes.join(', ') || 'nothing'}`,
        data: { packId, version: v.version, scopes: manifest.scopes, heldForPlan: r.held },
      },
      now,
    );
  });
  return view(ctx, id);
}

export async function listInstallations(ctx: ActorCtx, includeUninstalled: boolean): Promise<InstallationView[]> {
  const rows = await inSpace(ctx, (c) => listInstallationRows(c.db, ctx.actor.spaceId, includeUninstalled));
  const out: InstallationView[] = [];
  for (const r of rows) out.push(presentInstallation(r, await inSpace(ctx, (c) => listAgentsOfInstallation(c, r.id))));
  return out;
}

export const getInstallation = (ctx: ActorCtx, id: string) => view(ctx, id);

async function change(
  ctx: ActorCtx,
  id: string,
  what: string,
  fn: (c: ActorCtx, row: NonNullable<Awaited<ReturnType<typeof findInstallation>>>) => Promise<void>,
) {
  await inSpace(ctx, async (c) => {
    const row = await findInstallation(c.db, ctx.actor.spaceId, id);
    if (!row || row.status === 'uninstalled') throw new AppError('not_found', 'That installed pack was not found.');
    // After the lookup: another member's private pack is a 404 for a child too, not a 403.
    assertMayManagePacks(ctx);
    await fn(c, row);
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: `pack.${what}`,
        objectType: 'pack_installation',
        objectId: id,
        summary: `${(row.manifest as PackManifest).name}: ${what.replace('_', ' ')}`,
      },
      ctx.now(),
    );
  });
  return view(ctx, id);
}

export async function updateInstallation(ctx: ActorCtx, id: string, patch: { settings?: Record<string, unknown>; localOnly?: boolean }) {
  return change(ctx, id, 'settings_changed', async (c, row) => {
    const manifest = row.manifest as PackManifest;
    const settings = patch.settings ? validateSettings(manifest, patch.settings) : undefined;
    if (settings) {
      const problems = scheduleProblems(manifest, settings, ctx.actor.timeZone);
      if (problems.length) throw new AppError('invalid_input', `These settings make a schedule that cannot run: ${problems.join('; ')}`);
    }
    await updateInstallationRow(c.db, ctx.actor.spaceId, id, {
      ...(settings ? { settings: JSON.stringify(settings) } : {}),
      ...(patch.localOnly !== undefined ? { local_only: patch.localOnly } : {}),
      updated_by: ctx.actor.accountId,
      updated_at: ctx.now(),
    });
    if (settings) await rescheduleInstallation(c.db, ctx.actor.spaceId, id, manifest, settings, ctx.actor.timeZone, ctx.now());
  });
}

export async function pauseInstallation(ctx: ActorCtx, id: string) {
  return change(ctx, id, 'paused', async (c, row) => {
    if (row.status === 'paused') return;
    await updateInstallationRow(c.db, ctx.actor.spaceId, id, {
      status: 'paused',
      paused_reason: 'person',
      updated_by: ctx.actor.accountId,
      updated_at: ctx.now(),
    });
  });
}

/** Resumes a paused pack when the plan has room (a pack paused by a downgrade is resumed here, by choice). */
export async function resumeInstallation(ctx: ActorCtx, id: string) {
  return change(ctx, id, 'resumed', async (c, row) => {
    if (row.status === 'active') return;
    await lockSpaceForLimits(c.db, ctx.actor.spaceId);
    const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, ctx.now());
    await assertWithinLimit(ctx.deps.db, ent, 'packs', await countActiveInstallations(ctx.deps.db, ctx.actor.spaceId));
    await updateInstallationRow(c.db, ctx.actor.spaceId, id, {
      status: 'active',
      paused_reason: null,
      updated_by: ctx.actor.accountId,
      updated_at: ctx.now(),
    });
    // Its agents come back within the agent limit; the rest stay off for the person to choose.
    await enforceAgentLimit({ ...ctx, db: ctx.deps.db }, ctx.actor.spaceId, ent.limits.agents);
    const manifest = row.manifest as PackManifest;
    await rescheduleInstallation(
      c.db,
      ctx.actor.spaceId,
      id,
      manifest,
      (row.settings ?? {}) as Record<string, unknown>,
      ctx.actor.timeZone,
      ctx.now(),
    );
  });
}

/** Uninstalls: agents stop, nothing new runs; its history stays until its retention ends. */
export async function uninstallPack(ctx: ActorCtx, id: string) {
  return change(ctx, id, 'uninstalled', async (c, row) => {
    const now = ctx.now();
    await updateInstallationRow(c.db, ctx.actor.spaceId, id, {
      status: 'uninstalled',
      uninstalled_at: now,
      updated_by: ctx.actor.accountId,
      updated_at: now,
    });
    await c.db
      .updateTable('agent')
      .set({ enabled: false, disabled_reason: 'uninstalled', next_run_at: null, updated_at: now })
      .where('space_id', '=', ctx.actor.spaceId)
      .where('installation_id', '=', row.id)
      .execute();
  });
}

/**
 * After a plan change: packs over the pack limit are paused (newest first, never deleted), agents over
 * the agent limit are turned off, agents that need all connectors are held on a basic plan.
 */
export async function enforcePackLimits(ctx: Ctx, spaceId: string, limits: FullLimits): Promise<void> {
  const live = (await listActiveInstallationIds(ctx.db, spaceId)).filter((r) => r.status === 'active');
  const over = live.slice(limits.packs);
  for (const r of over) {
    await updateInstallationRow(ctx.db, spaceId, r.id, { status: 'paused', paused_reason: 'plan_limit', updated_at: ctx.now() });
    await disableAgentsOf(ctx.db, spaceId, r.id, ctx.now());
  }
  await enforceAgentLimit(ctx, spaceId, limits.agents);
  if (limits.connectors !== 'all') {
    const agents = await ctx.db
      .selectFrom('agent as a')
      .innerJoin('pack_installation as i', 'i.id', 'a.installation_id')
      .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
      .select(['a.id', 'a.agent_key', 'v.manifest'])
      .where('a.space_id', '=', spaceId)
      .where('a.enabled', '=', true)
      .execute();
    for (const a of agents) {
      const m = a.manifest as PackManifest;
      const def = m.agents.find((x) => x.id === a.agent_key);
      const plan = def ? neededPlan(def, m) : null;
      if (plan)
        await ctx.db
          .updateTable('agent')
          .set({ enabled: false, disabled_reason: `needs_plan:${plan}`, next_run_at: null })
          .where('id', '=', a.id)
          .execute();
    }
  }
  // Room again: what the plan paused (never what the person paused) comes back, oldest first.
  const room = limits.packs - (live.length - over.length);
  const resumable = room > 0 ? (await listActiveInstallationIds(ctx.db, spaceId)).filter((r) => r.paused_reason === 'plan_limit') : [];
  for (const r of resumable.slice(0, Math.max(0, room))) {
    await updateInstallationRow(ctx.db, spaceId, r.id, { status: 'active', paused_reason: null, updated_at: ctx.now() });
    // Its schedules start again from now (a pause cleared their next run).
    const agents = await ctx.db
      .selectFrom('agent')
      .select(['id', 'schedule'])
      .where('space_id', '=', spaceId)
      .where('installation_id', '=', r.id)
      .where('enabled', '=', true)
      .execute();
    for (const a of agents)
      if (a.schedule)
        await ctx.db
          .updateTable('agent')
          .set({ next_run_at: nextFireTime(a.schedule as unknown as AgentSchedule, ctx.now()) })
          .where('id', '=', a.id)
          .where('space_id', '=', spaceId)
          .execute();
  }
  const agentsBack = await restoreAgents(ctx, spaceId, limits);
  if (over.length || resumable.length || agentsBack)
    ctx.log.info(
      { spaceId, paused: over.length, resumed: Math.min(resumable.length, Math.max(0, room)), agentsBack },
      'packs and agents fitted to the plan',
    );
}

/** Pauses a space's active installations of a pack (a monthly purchase that lapsed, a refunded one); system work. */
export async function pauseInstallationsOfPack(ctx: Ctx, spaceId: string, packId: string, reason: string): Promise<number> {
  const rows = await ctx.db
    .selectFrom('pack_installation')
    .select('id')
    .where('space_id', '=', spaceId)
    .where('pack_id', '=', packId)
    .where('status', '=', 'active')
    .execute();
  for (const r of rows) {
    await updateInstallationRow(ctx.db, spaceId, r.id, { status: 'paused', paused_reason: reason, updated_at: ctx.now() });
    await disableAgentsOf(ctx.db, spaceId, r.id, ctx.now());
  }
  return rows.length;
}

export const packsMeter = (db: Db, spaceId: string) => countActiveInstallations(db, spaceId);

/** A pack bundle: a gzipped tar of its files (pack.json and code steps), in a stable order. */
export async function packBundle(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const gz = createGzip({ level: 9 });
  const done = new Promise<Buffer>((res, rej) => {
    gz.on('data', (c: Buffer) => chunks.push(c));
    gz.on('end', () => res(Buffer.concat(chunks)));
    gz.on('error', rej);
  });
  pack.pipe(gz);
  for (const path of Object.keys(files).sort()) {
    pack.entry({ name: path, mtime: new Date(0), mode: 0o644, uid: 0, gid: 0 }, files[path]!);
  }
  pack.finalize();
  return done;
}

export interface UnpackLimits {
  maxCompressed: number;
  maxExpanded: number;
  maxFiles: number;
  maxFileBytes: number;
}

export const BUNDLE_LIMITS: UnpackLimits = {
  maxCompressed: 2 * 1024 * 1024,
  maxExpanded: 8 * 1024 * 1024,
  maxFiles: 200,
  maxFileBytes: 1024 * 1024,
};

/**
 * Reads a bundle defensively: size limits before and after decompression (a zip bomb stops at the
 * limit, never in memory), only regular files with safe relative paths, UTF-8 text only.
 */
export async function unpackBundle(bundle: Buffer, limits: UnpackLimits = BUNDLE_LIMITS): Promise<Record<string, string>> {
  if (bundle.length > limits.maxCompressed)
    throw new AppError('payload_too_large', `The bundle is larger than ${Math.round(limits.maxCompressed / 1024 / 1024)} MB.`);
  const files: Record<string, string> = {};
  let expanded = 0;
  const extract = tar.extract();
  const gunzip = createGunzip();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const finished = new Promise<void>((res, rej) => {
    const fail = (e: Error) => {
      gunzip.destroy();
      extract.destroy();
      rej(e);
    };
    gunzip.on('data', (c: Buffer) => {
      expanded += c.length;
      if (expanded > limits.maxExpanded)
        fail(
          new AppError('payload_too_large', `The bundle expands past ${Math.round(limits.maxExpanded / 1024 / 1024)} MB; it is refused.`),
        );
    });
    gunzip.on('error', () => fail(new AppError('invalid_input', 'The bundle is not a gzipped tar file.')));
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      if (header.type === 'directory') {
        stream.resume();
        return next();
      }
      if (header.type !== 'file')
        return fail(new AppError('invalid_input', `The bundle holds "${name}", which is not a regular file (links are not allowed).`));
      if (
        !/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*\.(json|js|md|txt)$/.test(name) ||
        name.split('/').some((p) => p === '..' || p.startsWith('.'))
      ) {
        return fail(
          new AppError(
            'invalid_input',
            `The bundle holds "${name.slice(0, 100)}", a path that is not allowed (only relative paths of .json, .js, .md and .txt files).`,
          ),
        );
      }
      if (Object.keys(files).length >= limits.maxFiles)
        return fail(new AppError('invalid_input', `The bundle holds more than ${limits.maxFiles} files.`));
      const parts: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: unknown) => {
        const c = chunk as Buffer;
        size += c.length;
        if (size > limits.maxFileBytes)
          fail(new AppError('payload_too_large', `${name} is larger than ${Math.round(limits.maxFileBytes / 1024)} KB.`));
        else parts.push(c);
      });
      stream.on('end', () => {
        try {
          files[name] = utf8.decode(Buffer.concat(parts));
        } catch {
          return fail(new AppError('invalid_input', `${name} is not UTF-8 text.`));
        }
        next();
      });
    });
    extract.on('finish', () => res());
    extract.on('error', () => fail(new AppError('invalid_input', 'The bundle is not a valid tar file.')));
  });
  gunzip.pipe(extract);
  gunzip.end(bundle);
  await finished;
  if (!files['pack.json']) throw new AppError('invalid_input', 'The bundle has no pack.json at its root.');
  return files;
}

/** A pack read from bundle files: the manifest checked, every code step present. */
export function packFromFiles(files: Record<string, string>): LoadedPack {
  let raw: unknown;
  try {
    raw = JSON.parse(files['pack.json'] ?? '');
  } catch (e) {
    throw new AppError('invalid_input', `pack.json is not valid JSON: ${(e as Error).message}`);
  }
  const v = validateManifest(raw);
  if (!v.ok)
    throw new AppError('invalid_input', `pack.json is not valid: ${v.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
      problems: v.problems,
    });
  for (const a of v.manifest.agents)
    for (const s of a.steps)
      if ('code' in s && !(s.code in files))
        throw new AppError('invalid_input', `agent ${a.id}, step ${s.id}: ${s.code} is missing from the bundle.`);
  return { manifest: v.manifest, files, hash: bundleHash(files) };
}

/**
 * Checks that every skill a pack's steps name exists on this instance and is covered by the scopes
 * the pack declares (the runtime refuses any other call too). Returns readable problems.
 */
export function skillProblems(manifest: PackManifest, modules: readonly ModuleDef[]): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  const declared = new Set<string>(manifest.scopes);
  manifest.agents.forEach((a, i) => {
    a.steps.forEach((s, j) => {
      const ids = 'skill' in s ? [s.skill] : 'code' in s ? s.skills : [s.fallback.skill];
      for (const id of ids) {
        const skill = findSkill(modules, id);
        if (!skill) {
          out.push({ path: `agents[${i}].steps[${j}]`, message: `there is no skill "${id}" on this platform` });
          continue;
        }
        const missing = skill.scopes.filter((sc) => !declared.has(sc));
        if (missing.length)
          out.push({
            path: `agents[${i}].steps[${j}]`,
            message: `${id} needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the pack does not declare`,
          });
      }
      if ('model' in s && !declared.has('model'))
        out.push({ path: `agents[${i}].steps[${j}]`, message: 'a model step needs the scope "model"' });
    });
  });
  return out;
}
