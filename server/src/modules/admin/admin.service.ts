import type { SettingView } from '@csme/contracts/admin';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { isUuid } from '#core/ids.js';
import type { SettingDef } from '#core/settings.js';
import { findAccountIdByEmail } from '#modules/accounts/index.js';
import { applyPlanLimits, setBasePlan } from '#modules/plans/index.js';
import { createFamilySpace } from '#modules/spaces/index.js';

function settingDefs(ctx: Ctx): SettingDef[] {
  return ctx.deps.modules.flatMap((m) => m.settings ?? []);
}

export async function listSettings(ctx: ActorCtx): Promise<SettingView[]> {
  const out: SettingView[] = [];
  for (const def of settingDefs(ctx))
    out.push({ key: def.key, description: def.description, value: await ctx.deps.settings.describe(def) });
  return out;
}

export async function updateSetting(ctx: ActorCtx, key: string, value: Record<string, unknown>): Promise<SettingView> {
  const def = settingDefs(ctx).find((d) => d.key === key);
  if (!def) throw new AppError('not_found', `There is no setting "${key}".`);
  const current = (await ctx.deps.settings.get(def)) as Record<string, unknown>;
  const merged = { ...current, ...value };
  // Secret fields not sent keep their stored value.
  for (const f of def.secretFields ?? []) if (!(f in value)) delete merged[f];
  const parsed = def.schema.safeParse({ ...current, ...value });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: `value.${i.path.join('.')}`, message: i.message }));
    throw new AppError('invalid_input', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  await ctx.deps.settings.set(ctx.db, def, merged, ctx.actor.accountId);
  ctx.log.info({ key, by: ctx.actor.accountId }, 'instance setting changed');
  return { key, description: def.description, value: await ctx.deps.settings.describe(def) };
}

/** Finds a space from what an operator types: a space id, or the email of its owner (their personal space). */
export async function resolveSpace(ctx: Ctx, ref: string): Promise<{ id: string; kind: string }> {
  if (isUuid(ref)) {
    const s = await ctx.db.selectFrom('space').select(['id', 'kind']).where('id', '=', ref).executeTakeFirst();
    if (s) return s;
  }
  const accountId = await findAccountIdByEmail(ctx.db, ref);
  if (accountId) {
    const s = await ctx.db
      .selectFrom('account')
      .innerJoin('space', 'space.id', 'account.personal_space_id')
      .select(['space.id', 'space.kind'])
      .where('account.id', '=', accountId)
      .executeTakeFirst();
    if (s) return s;
  }
  throw new AppError('not_found', `No space or account matches "${ref}".`);
}

/**
 * `csme admin plan SPACE PLAN`: an operator grants a plan to a personal space (Free or Personal Pro).
 * Granted plans (provider `manual`) renew without invoices; paid ones go through billing.
 */
export async function setSpacePlan(ctx: Ctx, spaceRef: string, planId: string): Promise<{ spaceId: string }> {
  const space = await resolveSpace(ctx, spaceRef);
  if (space.kind !== 'personal')
    throw new AppError('invalid_input', 'Only personal spaces hold Free or Personal Pro; a family space holds Family.');
  if (planId !== 'free' && planId !== 'pro') throw new AppError('invalid_input', 'A personal space can be set to "free" or "pro".');
  await ctx.db.transaction().execute(async (tx) => {
    await setBasePlan(tx, { spaceId: space.id, planId, now: ctx.now(), provider: planId === 'free' ? 'none' : 'manual' });
    await applyPlanLimits({ ...ctx, db: tx }, space.id);
  });
  return { spaceId: space.id };
}

/** `csme admin family create ACCOUNT`: a family space with the Family plan, owned by that account. */
export async function createFamily(ctx: Ctx, accountRef: string, name?: string): Promise<{ spaceId: string }> {
  const accountId = isUuid(accountRef) ? accountRef : await findAccountIdByEmail(ctx.db, accountRef);
  const account = accountId
    ? await ctx.db.selectFrom('account').select(['id', 'display_name']).where('id', '=', accountId).executeTakeFirst()
    : undefined;
  if (!account) throw new AppError('not_found', `No account matches "${accountRef}".`);
  const spaceId = await ctx.db.transaction().execute((tx) =>
    createFamilySpace(tx, {
      ownerAccountId: account.id,
      name: name ?? `${account.display_name}'s family`,
      now: ctx.now(),
      provider: 'manual',
    }),
  );
  return { spaceId };
}
