import { newId } from '../lib/ids.ts';
import { insertAuditEvent } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import type { Deps } from './deps.ts';

export type AuditType =
  | 'client.registered'
  | 'client.metadata_fetched'
  | 'authorization.requested'
  | 'consent.granted'
  | 'consent.denied'
  | 'token.issued'
  | 'token.refreshed'
  | 'refresh.reuse_detected'
  | 'code.replay_detected'
  | 'grant.revoked'
  | 'token.revoked'
  | 'signing_key.rotated'
  | 'user.signed_in'
  | 'user.signin_failed'
  | 'member.added'
  | 'member.role_changed'
  | 'member.removed'
  | 'integration.connected'
  | 'integration.disconnected'
  | 'webhook.created'
  | 'webhook.deleted'
  | 'webhook.secret_rotated'
  | 'retention.expired_files_removed'
  | 'retention.recordings_purged'
  | 'retention.links_purged'
  | 'retention.project_purged';

/** Where a request came from, as the HTTP layer saw it. */
export interface RequestOrigin {
  ip?: string | null;
  userAgent?: string | null;
}

/** Records who did what, to which client, when and from where. Never pass secrets in `detail`. */
export async function audit(
  deps: Pick<Deps, 'db' | 'clock'>,
  type: AuditType,
  fields: {
    userId?: string | null;
    clientId?: string | null;
    grantId?: string | null;
    workspaceId?: string | null;
    origin?: RequestOrigin;
    detail?: Record<string, unknown>;
  },
  db: Db = deps.db,
): Promise<void> {
  const now = deps.clock.now();
  await insertAuditEvent(db, {
    id: newId('evt', now),
    type,
    userId: fields.userId ?? null,
    clientId: fields.clientId ?? null,
    grantId: fields.grantId ?? null,
    workspaceId: fields.workspaceId ?? null,
    ip: fields.origin?.ip ?? null,
    userAgent: fields.origin?.userAgent?.slice(0, 300) ?? null,
    detail: fields.detail ?? {},
    createdAt: now,
  });
}
