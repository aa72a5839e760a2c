import { z } from 'zod';
import { Email, SessionView } from './accounts.js';
import { Empty, Id, Ok, Role, Text } from './common.js';
import { endpoint } from './http.js';

const tags = ['family'];

/** The roles an invitation or a role change may give (there is one owner; ownership is transferred). */
export const MEMBER_ROLES = ['adult', 'child'] as const;
export const MemberRole = z.enum(MEMBER_ROLES);
export type MemberRole = z.infer<typeof MemberRole>;

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export const InvitationStatus = z.enum(INVITATION_STATUSES);

export const MemberView = z.object({
  accountId: Id,
  displayName: z.string(),
  email: z.string(),
  role: Role,
  joinedAt: z.string(),
  isMe: z.boolean(),
});
export type MemberView = z.infer<typeof MemberView>;

export const InvitationView = z.object({
  id: Id,
  email: z.string(),
  role: MemberRole,
  status: InvitationStatus,
  invitedBy: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
});
export type InvitationView = z.infer<typeof InvitationView>;

export const FamilyView = z.object({
  space: z.object({
    id: Id,
    name: z.string(),
    kind: z.enum(['personal', 'family']),
    /** `read_only` once the Family plan has ended, until `deleteAfter`. */
    status: z.enum(['active', 'read_only', 'deleting']),
    readOnlySince: z.string().nullable(),
    deleteAfter: z.string().nullable(),
  }),
  myRole: Role,
  members: z.array(MemberView),
  /** Pending invitations (owner only; empty for others). */
  invitations: z.array(InvitationView),
  /** The plan's member limit and what it counts: members plus pending invitations. */
  limit: z.object({ members: z.number().int(), used: z.number().int() }),
});
export type FamilyView = z.infer<typeof FamilyView>;

export const getFamily = endpoint({
  method: 'GET',
  path: '/api/v1/family',
  summary: 'The members of the active space, its pending invitations and its member limit',
  tags,
  response: FamilyView,
});

export const InviteInput = z.strictObject({ email: Email, role: MemberRole.default('adult') });
export type InviteInput = z.infer<typeof InviteInput>;
export const createInvitation = endpoint({
  method: 'POST',
  path: '/api/v1/family/invitations',
  summary: 'Invite someone by email (owner; a single-use link that expires, also emailed)',
  tags,
  body: InviteInput,
  response: z.object({ invitation: InvitationView, link: z.string() }),
  status: 201,
});

export const revokeInvitation = endpoint({
  method: 'DELETE',
  path: '/api/v1/family/invitations/:invitationId',
  summary: 'Withdraw a pending invitation (owner)',
  tags,
  params: z.strictObject({ invitationId: Id }),
  response: InvitationView,
});

export const InvitationToken = z.string().min(20).max(300);
export const InvitationPreview = z.object({
  spaceName: z.string(),
  invitedBy: z.string().nullable(),
  email: z.string(),
  role: MemberRole,
  expiresAt: z.string(),
});
export type InvitationPreview = z.infer<typeof InvitationPreview>;
export const previewInvitation = endpoint({
  method: 'POST',
  path: '/api/v1/family/invitations/preview',
  summary: 'What an invitation link invites to (refused with the reason when expired, used, declined or withdrawn)',
  tags,
  body: z.strictObject({ token: InvitationToken }),
  response: InvitationPreview,
});
export const acceptInvitation = endpoint({
  method: 'POST',
  path: '/api/v1/family/invitations/accept',
  summary: 'Join the family with an invitation link (signed in as the invited address); switches into it',
  tags,
  body: z.strictObject({ token: InvitationToken }),
  response: SessionView,
});
export const declineInvitation = endpoint({
  method: 'POST',
  path: '/api/v1/family/invitations/decline',
  summary: 'Decline an invitation (no account needed)',
  tags,
  body: z.strictObject({ token: InvitationToken }),
  response: Ok,
});

export const MoveReport = z.object({
  /** Rows moved per table. */
  moved: z.record(z.string(), z.number().int()),
  /** Rows that could not move (they clash with something already in the personal space) and stay behind. */
  kept: z.record(z.string(), z.number().int()),
});
export type MoveReport = z.infer<typeof MoveReport>;

export const changeRole = endpoint({
  method: 'PATCH',
  path: '/api/v1/family/members/:accountId',
  summary: 'Change a member’s role (owner)',
  tags,
  params: z.strictObject({ accountId: Id }),
  body: z.strictObject({ role: MemberRole }),
  response: MemberView,
});
export const removeMember = endpoint({
  method: 'DELETE',
  path: '/api/v1/family/members/:accountId',
  summary: 'Remove a member (owner); their private data moves to their personal space',
  tags,
  params: z.strictObject({ accountId: Id }),
  response: MoveReport,
});
export const leaveFamily = endpoint({
  method: 'POST',
  path: '/api/v1/family/leave',
  summary: 'Leave the active family space; your private data moves to your personal space',
  tags,
  body: Empty.optional(),
  response: z.object({ report: MoveReport, session: SessionView }),
});
export const transferOwnership = endpoint({
  method: 'POST',
  path: '/api/v1/family/transfer',
  summary: 'Make another adult member the owner (owner); you stay as an adult',
  tags,
  body: z.strictObject({ accountId: Id }),
  response: FamilyView,
});
export const nudgeMember = endpoint({
  method: 'POST',
  path: '/api/v1/family/members/:accountId/nudge',
  summary: 'Send a member a notification ("dinner is ready")',
  tags,
  params: z.strictObject({ accountId: Id }),
  body: z.strictObject({ message: Text(300).pipe(z.string().min(1, 'is required')) }),
  response: Ok,
  status: 202,
});
export const moveSharedToPersonal = endpoint({
  method: 'POST',
  path: '/api/v1/family/move-shared',
  summary: 'After the Family plan ended: move the shared objects into your personal space (owner; over its limits they are paused)',
  tags,
  body: Empty.optional(),
  response: MoveReport,
});
