import { ApiError, validationError } from '../domain/errors.ts';
import { DAY_MS } from '../lib/clock.ts';
import { randomToken, sha256Hex } from '../lib/crypto.ts';
import { newId } from '../lib/ids.ts';
import {
  consumeInvitation,
  findInvitationByTokenHash,
  type Invitation,
  insertInvitation,
  listPendingInvitations,
  revokeInvitationRow,
  revokePendingInvitationsFor,
} from '../store/invitations.ts';
import { findActiveMemberByEmail, findActiveMemberByUser } from '../store/members.ts';
import { findUserById, normalizeEmail } from '../store/users.ts';
import { findWorkspaceById, upsertMember } from '../store/workspaces.ts';
import { type Access, requireCapability } from './access.ts';
import { audit } from './audit.ts';
import { newEventId } from './delivery/events.ts';
import { publish } from './delivery/outbox.ts';
import type { Deps } from './deps.ts';

export type { Invitation } from '../store/invitations.ts';

/** PRODUCT.md §1: an invitation link expires in 7 days. */
export const INVITATION_TTL_MS = 7 * DAY_MS;

const INVITABLE_ROLES = ['admin', 'member'] as const;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;

const notFound = () =>
  new ApiError(404, 'INVITATION_NOT_FOUND', 'This invitation does not exist or was already used');

/**
 * Invites an email address with a role (admin or member; admins and owners may invite). Returns the
 * invitation and its token, shown once: only the token's SHA-256 is stored. A new invitation for
 * the same email replaces a pending one, so only the latest link works.
 */
export async function inviteMember(
  deps: Deps,
  access: Access,
  input: { email: string; role: string },
): Promise<{ invitation: Invitation; token: string }> {
  requireCapability(access, 'member.manage', 'Inviting members');
  const email = input.email.trim();
  if (email.length > 254 || !EMAIL.test(email))
    throw validationError('email', 'must be a valid email address');
  if (!(INVITABLE_ROLES as readonly string[]).includes(input.role))
    throw validationError('role', 'must be admin or member (ownership moves only by transfer)');
  const role = input.role as (typeof INVITABLE_ROLES)[number];
  const emailNormalized = normalizeEmail(email);
  const created = await deps.db.transaction().execute(async (trx) => {
    if (await findActiveMemberByEmail(trx, access.workspace.id, emailNormalized))
      throw new ApiError(409, 'CONFLICT', 'email: this person is already a member of the workspace', 'email');
    const now = deps.clock.now();
    await revokePendingInvitationsFor(trx, access.workspace.id, emailNormalized, now);
    const token = randomToken(32);
    const invitation = await insertInvitation(trx, {
      id: newId('inv', now),
      workspaceId: access.workspace.id,
      email: emailNormalized,
      role,
      tokenHash: sha256Hex(token),
      invitedByMemberId: access.member.id,
      createdAt: now,
      expiresAt: now + INVITATION_TTL_MS,
    });
    // The e-mail to the invitee (when SMTP_URL is set) commits with the invitation; its link holds
    // the token, which is why the outbox stores payloads sealed.
    await publish(deps, trx, {
      type: 'invitation.created',
      id: newEventId(deps),
      at: now,
      workspaceId: access.workspace.id,
      workspaceName: access.workspace.name,
      email,
      role,
      inviterName: access.member.name,
      acceptUrl: invitationUrl(deps.config.publicUrl, token),
      expiresAt: invitation.expiresAt,
    });
    return { invitation, token };
  });
  deps.wakeDeliveries();
  return created;
}

/** Where an invitation is accepted (the dashboard's /invite/:token page). */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/invite/${encodeURIComponent(token)}`;
}

/** Pending invitations of the workspace (admin or owner), newest first. */
export async function listInvitations(deps: Deps, access: Access): Promise<Invitation[]> {
  requireCapability(access, 'member.manage', 'Viewing invitations');
  return listPendingInvitations(deps.db, access.workspace.id, deps.clock.now());
}

/** Revokes a pending invitation (admin or owner); its link stops working at once. */
export async function revokeInvitation(deps: Deps, access: Access, invitationId: string): Promise<void> {
  requireCapability(access, 'member.manage', 'Revoking invitations');
  const ok =
    invitationId.length <= 64 &&
    (await revokeInvitationRow(deps.db, access.workspace.id, invitationId, deps.clock.now()));
  if (!ok) throw notFound();
}

/**
 * Accepts an invitation for the signed-in user, whose email must be the invited one (any case).
 * Unknown, used or revoked tokens answer INVITATION_NOT_FOUND (404); an expired one
 * INVITATION_EXPIRED (410). A removed member is revived with the invited role; someone already a
 * member keeps the role they have (an invitation never demotes an owner).
 */
export async function acceptInvitation(
  deps: Deps,
  token: string,
  userId: string,
): Promise<{ workspaceId: string; memberId: string; role: 'owner' | 'admin' | 'member' }> {
  if (token.length === 0 || token.length > 256) throw notFound();
  const accepted = await deps.db.transaction().execute(async (trx) => {
    const invitation = await findInvitationByTokenHash(trx, sha256Hex(token));
    if (!invitation || invitation.acceptedAt !== null || invitation.revokedAt !== null) throw notFound();
    const now = deps.clock.now();
    if (invitation.expiresAt <= now)
      throw new ApiError(410, 'INVITATION_EXPIRED', 'This invitation has expired; ask for a new one');
    const user = await findUserById(trx, userId);
    if (!user || normalizeEmail(user.email) !== invitation.email) {
      throw new ApiError(
        403,
        'FORBIDDEN',
        'This invitation was sent to a different email address; sign in with that address to accept it',
      );
    }
    const workspace = await findWorkspaceById(trx, invitation.workspaceId);
    if (!workspace || workspace.deletedAt !== null)
      throw new ApiError(410, 'WORKSPACE_GONE', 'This workspace has been deleted');
    if (!(await consumeInvitation(trx, invitation.id, now))) throw notFound();
    const existing = await findActiveMemberByUser(trx, workspace.id, userId);
    if (existing) return { workspaceId: workspace.id, memberId: existing.id, role: existing.role };
    const memberId = await upsertMember(trx, {
      id: newId('mem', now),
      workspaceId: workspace.id,
      userId,
      role: invitation.role,
      joinedAt: now,
    });
    await audit(
      deps,
      'member.added',
      {
        userId,
        workspaceId: workspace.id,
        detail: { memberId, email: user.email, role: invitation.role, invitationId: invitation.id },
      },
      trx,
    );
    await publish(deps, trx, {
      type: 'member.joined',
      id: newEventId(deps),
      at: now,
      workspaceId: workspace.id,
      workspaceName: workspace.name,
      member: { memberId, userId, name: user.name, email: user.email, role: invitation.role },
      invitedByMemberId: invitation.invitedByMemberId,
    });
    return { workspaceId: workspace.id, memberId, role: invitation.role };
  });
  deps.wakeDeliveries();
  return accepted;
}

/** What the invitation page shows before anyone accepts. */
export interface InvitationPreview {
  state: 'pending' | 'expired';
  workspaceName: string;
  email: string;
  role: 'admin' | 'member';
}

/**
 * Looks up an invitation by its token for the invitation page: the workspace's name, the invited
 * email and role. Unknown, used or revoked tokens and deleted workspaces answer undefined; the
 * token itself is the proof that its holder was sent the invitation.
 */
export async function previewInvitation(deps: Deps, token: string): Promise<InvitationPreview | undefined> {
  if (token.length === 0 || token.length > 256) return undefined;
  const invitation = await findInvitationByTokenHash(deps.db, sha256Hex(token));
  if (!invitation || invitation.acceptedAt !== null || invitation.revokedAt !== null) return undefined;
  const workspace = await findWorkspaceById(deps.db, invitation.workspaceId);
  if (!workspace || workspace.deletedAt !== null) return undefined;
  return {
    state: invitation.expiresAt <= deps.clock.now() ? 'expired' : 'pending',
    workspaceName: workspace.name,
    email: invitation.email,
    role: invitation.role,
  };
}
