import type { Db } from './db.ts';
import type { InvitationsTable } from './schema.ts';

/** A pending, accepted or revoked invitation; the token itself is never stored, only its hash. */
export interface Invitation {
  id: string;
  workspaceId: string;
  email: string;
  role: 'admin' | 'member';
  invitedByMemberId: string;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  revokedAt: number | null;
}

function toInvitation(row: InvitationsTable): Invitation {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email_normalized,
    role: row.role,
    invitedByMemberId: row.invited_by_member_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    acceptedAt: row.accepted_at,
    revokedAt: row.revoked_at,
  };
}

/** A new pending invitation as the service describes it (the token only as its hash). */
export interface NewInvitation {
  id: string;
  workspaceId: string;
  /** Normalized (normalizeEmail). */
  email: string;
  role: 'admin' | 'member';
  tokenHash: string;
  invitedByMemberId: string;
  createdAt: number;
  expiresAt: number;
}

/** Inserts a pending invitation (token hash only). */
export async function insertInvitation(db: Db, invitation: NewInvitation): Promise<Invitation> {
  const row: InvitationsTable = {
    id: invitation.id,
    workspace_id: invitation.workspaceId,
    email_normalized: invitation.email,
    role: invitation.role,
    token_hash: invitation.tokenHash,
    invited_by_member_id: invitation.invitedByMemberId,
    created_at: invitation.createdAt,
    expires_at: invitation.expiresAt,
    accepted_at: null,
    revoked_at: null,
  };
  await db.insertInto('invitations').values(row).execute();
  return toInvitation(row);
}

/** The invitation whose token hash matches, in any state. */
export async function findInvitationByTokenHash(db: Db, tokenHash: string): Promise<Invitation | undefined> {
  const row = await db
    .selectFrom('invitations')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && toInvitation(row);
}

/** Invitations of a workspace not accepted, revoked or expired at `now`, newest first. */
export async function listPendingInvitations(
  db: Db,
  workspaceId: string,
  now: number,
): Promise<Invitation[]> {
  const rows = await db
    .selectFrom('invitations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toInvitation);
}

/** Revokes one pending invitation of the workspace; false when there is none by that id. */
export async function revokeInvitationRow(
  db: Db,
  workspaceId: string,
  invitationId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('id', '=', invitationId)
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes every pending invitation for this email in the workspace (a new one replaces them). */
export async function revokePendingInvitationsFor(
  db: Db,
  workspaceId: string,
  emailNormalized: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('email_normalized', '=', emailNormalized)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * Marks an invitation accepted with one conditional UPDATE, so a token is used at most once even
 * when two requests race; false for the loser (or a revoked or expired one).
 */
export async function consumeInvitation(db: Db, invitationId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ accepted_at: now })
    .where('id', '=', invitationId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
