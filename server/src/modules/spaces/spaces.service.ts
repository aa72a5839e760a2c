import type { SpaceSummary } from '@csme/contracts/accounts';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { setBasePlan, startFreePlan } from '#modules/plans/index.js';
import { countMembers, findMembership, insertMembership, insertSpace, listMembershipsOfAccount } from './spaces.repository.js';

/** Every account has a personal space, created with it, on the Free plan. */
export async function createPersonalSpace(db: Db, a: { accountId: string; displayName: string; now: Date }): Promise<string> {
  const spaceId = newId();
  await insertSpace(db, { id: spaceId, kind: 'personal', name: a.displayName, owner_account_id: a.accountId });
  await insertMembership(db, { id: newId(), space_id: spaceId, account_id: a.accountId, role: 'owner' });
  await startFreePlan(db, spaceId, a.now);
  return spaceId;
}

/**
 * A family space owned by `ownerAccountId`, with the Family plan attached (billing calls this on a
 * Family subscription, passing `startPlan` to attach the subscription it sold: version, period, provider).
 */
export async function createFamilySpace(
  db: Db,
  a: {
    ownerAccountId: string;
    name: string;
    now: Date;
    provider: string;
    interval?: 'month' | 'year';
    currency?: string;
    startPlan?: (db: Db, spaceId: string) => Promise<unknown>;
  },
): Promise<string> {
  const spaceId = newId();
  await insertSpace(db, { id: spaceId, kind: 'family', name: a.name, owner_account_id: a.ownerAccountId });
  await insertMembership(db, { id: newId(), space_id: spaceId, account_id: a.ownerAccountId, role: 'owner' });
  if (a.startPlan) await a.startPlan(db, spaceId);
  else await setBasePlan(db, { spaceId, planId: 'family', now: a.now, provider: a.provider, interval: a.interval, currency: a.currency });
  return spaceId;
}

export async function listSpacesOf(db: Db, accountId: string): Promise<SpaceSummary[]> {
  const rows = await listMembershipsOfAccount(db, accountId);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind as SpaceSummary['kind'],
    role: r.role as SpaceSummary['role'],
    planId: r.plan_id ?? 'free',
    planName: r.plan_name ?? 'Free',
  }));
}

/** The membership that lets an account act in a space; 404 when there is none (as if the space did not exist). */
export async function getMembership(db: Db, accountId: string, spaceId: string) {
  const m = await findMembership(db, accountId, spaceId);
  if (!m) throw new AppError('not_found', 'That space was not found.');
  return m;
}

export const membersMeter = (db: Db, spaceId: string) => countMembers(db, spaceId);
