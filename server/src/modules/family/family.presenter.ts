import type { InvitationView, MemberView } from '@csme/contracts/family';
import { invitationState } from './family.policy.js';

export function presentMember(
  r: { account_id: string; display_name: string; email: string; role: string; created_at: Date },
  me: string,
): MemberView {
  return {
    accountId: r.account_id,
    displayName: r.display_name,
    email: r.email,
    role: r.role as MemberView['role'],
    joinedAt: r.created_at.toISOString(),
    isMe: r.account_id === me,
  };
}

export function presentInvitation(
  r: { id: string; email: string; role: string; status: string; expires_at: Date; created_at: Date; invited_by_name: string | null },
  now: Date,
): InvitationView {
  const state = invitationState(r, now);
  return {
    id: r.id,
    email: r.email,
    role: r.role as InvitationView['role'],
    status:
      state === 'pending' ? 'pending' : state === 'used' ? 'accepted' : state === 'space_closed' || state === 'invalid' ? 'revoked' : state,
    invitedBy: r.invited_by_name,
    expiresAt: r.expires_at.toISOString(),
    createdAt: r.created_at.toISOString(),
  };
}
