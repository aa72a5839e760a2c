import { createHash } from 'node:crypto';
import type { Actor } from '#core/ctx.js';
import { AppError } from '#core/errors.js';

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/** The hash an approval is bound to: the skill and its exact input. */
export const actionHash = (skillId: string, action: unknown) =>
  createHash('sha256').update(skillId).update('\n').update(canonical(action)).digest('hex');

/**
 * Who may decide on a suggestion (PRODUCT.md "Family roles"): owners and adults decide on anything
 * they can see; a child decides only on their own private suggestions, and never on one that sends,
 * books or pays outside the platform (it goes to the adults).
 */
export function assertMayDecide(actor: Actor, s: { external: boolean; visibility: string; owner_account_id: string }): void {
  if (actor.role !== 'child') return;
  if (s.external)
    throw new AppError('forbidden', 'This action sends, books or pays outside connectsoft.me, so an adult of the family decides on it.', {
      reason: 'child_external',
    });
  if (s.visibility !== 'private' || s.owner_account_id !== actor.accountId) {
    throw new AppError('forbidden', 'Only an adult of the family can decide on shared suggestions.', { reason: 'child_shared' });
  }
}

export const OPEN_STATUSES = ['pending', 'approved', 'executing', 'unknown', 'failed'] as const;
export const DONE_STATUSES = ['done', 'rejected', 'expired', 'dismissed'] as const;
