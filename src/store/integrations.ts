import type { Db } from './db.ts';
import { encodeJsonColumn, parseObjectColumn } from './json-columns.ts';
import type { WorkspaceIntegrationsTable } from './schema.ts';

// Workspace integrations (workspace_integrations, migration 0050): one row per workspace and
// provider (Slack, Intercom, Zendesk). `config` holds what is not secret (base URL, admin id, agent
// e-mail, the last characters of the secret for the page); the credential itself is sealed.

export type IntegrationProvider = WorkspaceIntegrationsTable['provider'];
export type IntegrationStatus = WorkspaceIntegrationsTable['status'];

/** An integration as the services see it; the credential is still sealed. */
export interface StoredIntegration {
  workspaceId: string;
  provider: IntegrationProvider;
  config: Record<string, unknown>;
  sealedSecret: string;
  status: IntegrationStatus;
  statusDetail: string | null;
  createdAt: number;
  updatedAt: number;
}

function toIntegration(row: WorkspaceIntegrationsTable): StoredIntegration {
  return {
    workspaceId: row.workspace_id,
    provider: row.provider,
    config: parseObjectColumn(row.config),
    sealedSecret: row.secret_sealed,
    status: row.status,
    statusDetail: row.status_detail,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/**
 * Saves a workspace's credentials for a provider: inserts, or replaces config and secret of the
 * existing row (keeping its created_at). Saving always makes the status `connected` again.
 */
export async function saveIntegration(
  db: Db,
  input: {
    workspaceId: string;
    provider: IntegrationProvider;
    config: Record<string, unknown>;
    sealedSecret: string;
    now: number;
  },
): Promise<StoredIntegration> {
  const config = encodeJsonColumn(input.config);
  // One statement on both dialects (ON CONFLICT … DO UPDATE), so two admins saving at once cannot
  // collide on the primary key.
  const row = await db
    .insertInto('workspace_integrations')
    .values({
      workspace_id: input.workspaceId,
      provider: input.provider,
      config,
      secret_sealed: input.sealedSecret,
      status: 'connected',
      status_detail: null,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'provider']).doUpdateSet({
        config,
        secret_sealed: input.sealedSecret,
        status: 'connected',
        status_detail: null,
        updated_at: input.now,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toIntegration(row);
}

/** The workspace's integration with `provider`, if connected (or needing a reconnect). */
export async function findIntegration(
  db: Db,
  workspaceId: string,
  provider: IntegrationProvider,
): Promise<StoredIntegration | undefined> {
  const row = await db
    .selectFrom('workspace_integrations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  return row && toIntegration(row);
}

/** Every integration of a workspace. */
export async function listIntegrations(db: Db, workspaceId: string): Promise<StoredIntegration[]> {
  const rows = await db
    .selectFrom('workspace_integrations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('provider')
    .execute();
  return rows.map(toIntegration);
}

/** Removes the credentials; false when there were none. */
export async function deleteIntegration(
  db: Db,
  workspaceId: string,
  provider: IntegrationProvider,
): Promise<boolean> {
  const result = await db
    .deleteFrom('workspace_integrations')
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Marks the integration `needs_reconnect` with a reason, only if its credential is still the one
 * that was refused (`sealedSecret`): credentials saved meanwhile are new and keep `connected`.
 * Returns whether a row changed.
 */
export async function markIntegrationRefused(
  db: Db,
  input: {
    workspaceId: string;
    provider: IntegrationProvider;
    sealedSecret: string;
    detail: string;
    now: number;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('workspace_integrations')
    .set({ status: 'needs_reconnect', status_detail: input.detail, updated_at: input.now })
    .where('workspace_id', '=', input.workspaceId)
    .where('provider', '=', input.provider)
    .where('secret_sealed', '=', input.sealedSecret)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
