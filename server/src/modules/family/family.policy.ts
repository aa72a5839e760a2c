import { hmacB64, safeEqual } from '#core/crypto.js';
import type { Actor } from '#core/ctx.js';
import { AppError } from '#core/errors.js';

// The Family roles of PRODUCT.md for the family itself (invite, remove, roles, billing: the owner only),
// the invitation link's signature, and which writes a read-only family space still takes. Pure.

/** Only a family space has members to manage (403 with the reason otherwise). */
export function assertFamilySpace(actor: Actor): void {
  if (actor.spaceKind !== 'family')
    throw new AppError('forbidden', 'Members are managed in a family space; switch to your family space first.', { reason: 'not_family' });
}

/** Invite, remove, change roles, transfer: the owner only (PRODUCT.md "Family roles"). */
export function assertOwner(actor: Actor): void {
  assertFamilySpace(actor);
  if (actor.role !== 'owner')
    throw new AppError('forbidden', 'Only the owner of the family can invite or remove members and change roles.', {
      reason: 'owner_only',
    });
}

/**
 * An invitation link's token: `<invitation id>.<signature>`, the signature an HMAC of the id and its
 * expiry with an instance key. Only its hash is stored, so the database alone cannot mint a link;
 * single use and expiry are checked against the row.
 */
export function signInvitation(key: Buffer, id: string, expiresAt: Date): string {
  return `${id}.${hmacB64(key, `family-invitation|${id}|${expiresAt.toISOString()}`)}`;
}

export function invitationIdOf(token: string): string | null {
  const id = token.split('.')[0] ?? '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? id : null;
}

export function checkInvitationSignature(key: Buffer, token: string, id: string, expiresAt: Date): boolean {
  return safeEqual(token, signInvitation(key, id, expiresAt));
}

export type InvitationRefusal = 'invalid' | 'used' | 'declined' | 'revoked' | 'expired' | 'space_closed';

const REFUSALS: Record<InvitationRefusal, string> = {
  invalid: 'This invitation link is not valid. Check that you opened the whole link, or ask for a new invitation.',
  used: 'This invitation link has already been used. Each link works once; ask the family owner for a new one if you need it.',
  declined: 'This invitation was declined. Ask the family owner for a new one if you changed your mind.',
  revoked: 'This invitation was withdrawn by the family owner.',
  expired: 'This invitation link has expired. Ask the family owner to send a new one.',
  space_closed: 'This family space no longer takes new members: its Family plan has ended.',
};

/** The refusal of a link that cannot be used, with its reason (`details.reason`). */
export function invitationRefused(reason: InvitationRefusal): AppError {
  return new AppError(reason === 'invalid' ? 'not_found' : 'conflict', REFUSALS[reason], { reason });
}

/** The state of an invitation row as a person reads it (a pending one past its expiry is expired). */
export function invitationState(row: { status: string; expires_at: Date }, now: Date): 'pending' | InvitationRefusal {
  if (row.status === 'accepted') return 'used';
  if (row.status === 'declined') return 'declined';
  if (row.status === 'revoked') return 'revoked';
  if (row.expires_at <= now) return 'expired';
  return 'pending';
}

/**
 * While a family space is read-only (its Family plan ended), it takes no changes except what the
 * ending needs: leaving, the owner moving shared objects out, billing (to subscribe again), the
 * person's own account and session, and reading (every GET).
 */
const ALLOWED_WHILE_READ_ONLY = [
  '/api/v1/family/',
  '/api/v1/auth/',
  '/api/v1/account',
  '/api/v1/billing',
  '/api/v1/privacy',
  '/api/v1/notifications',
];
export function writableWhileReadOnly(method: string, url: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return true;
  return ALLOWED_WHILE_READ_ONLY.some((p) => url.startsWith(p));
}
