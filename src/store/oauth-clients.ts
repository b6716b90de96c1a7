import type { Db } from './db.ts';
import { encodeJsonColumn } from './json-columns.ts';
import type { OAuthClientsTable } from './schema.ts';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

export interface OAuthClient {
  id: string;
  kind: 'dynamic' | 'metadata_document';
  name: string;
  logoUri: string | null;
  clientUri: string | null;
  redirectUris: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  clientSecretHash: string | null;
  grantTypes: string[];
  responseTypes: string[];
  applicationType: string | null;
  softwareId: string | null;
  softwareVersion: string | null;
  scope: string | null;
  verifiedVendor: string | null;
  metadataFetchedAt: number | null;
  metadataExpiresAt: number | null;
  createdAt: number;
  lastAuthorizedAt: number | null;
  deletedAt: number | null;
}

function toClient(row: OAuthClientsTable): OAuthClient {
  return {
    id: row.id,
    kind: row.kind,
    name: row.client_name,
    logoUri: row.logo_uri,
    clientUri: row.client_uri,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    tokenEndpointAuthMethod: row.token_endpoint_auth_method,
    clientSecretHash: row.client_secret_hash,
    grantTypes: JSON.parse(row.grant_types) as string[],
    responseTypes: JSON.parse(row.response_types) as string[],
    applicationType: row.application_type,
    softwareId: row.software_id,
    softwareVersion: row.software_version,
    scope: row.scope,
    verifiedVendor: row.verified_vendor,
    metadataFetchedAt: row.metadata_fetched_at,
    metadataExpiresAt: row.metadata_expires_at,
    createdAt: row.created_at,
    lastAuthorizedAt: row.last_authorized_at,
    deletedAt: row.deleted_at,
  };
}

/** A client to register (or a metadata document's client to store): a live one never authorized yet. */
export type NewOAuthClient = Omit<OAuthClient, 'lastAuthorizedAt' | 'deletedAt'> & {
  registrationIp: string | null;
};

/** The row of a live client never authorized yet (lists as JSON text). */
function toClientRow(client: NewOAuthClient): OAuthClientsTable {
  return {
    id: client.id,
    kind: client.kind,
    client_name: client.name,
    logo_uri: client.logoUri,
    client_uri: client.clientUri,
    redirect_uris: encodeJsonColumn(client.redirectUris),
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    client_secret_hash: client.clientSecretHash,
    grant_types: encodeJsonColumn(client.grantTypes),
    response_types: encodeJsonColumn(client.responseTypes),
    application_type: client.applicationType,
    software_id: client.softwareId,
    software_version: client.softwareVersion,
    scope: client.scope,
    verified_vendor: client.verifiedVendor,
    registration_ip: client.registrationIp,
    metadata_fetched_at: client.metadataFetchedAt,
    metadata_expires_at: client.metadataExpiresAt,
    created_at: client.createdAt,
    updated_at: client.createdAt,
    last_authorized_at: null,
    deleted_at: null,
  };
}

/** Inserts a client registration. */
export async function insertClient(db: Db, client: NewOAuthClient): Promise<OAuthClient> {
  const row = toClientRow(client);
  await db.insertInto('oauth_clients').values(row).execute();
  return toClient(row);
}

/**
 * Inserts or refreshes a metadata-document client (its id is the document URL); a refresh keeps the
 * first created_at and last_authorized_at.
 */
export async function upsertMetadataClient(db: Db, client: NewOAuthClient): Promise<OAuthClient> {
  const row = toClientRow(client);
  const { id: _id, created_at: _created, last_authorized_at: _last, ...changes } = row;
  await db
    .insertInto('oauth_clients')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...changes, deleted_at: null }))
    .execute();
  const stored = await findClient(db, row.id);
  return stored!;
}

/** A client by id, removed ones included (the caller decides). */
export async function findClient(db: Db, id: string): Promise<OAuthClient | undefined> {
  const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toClient(row);
}

/** Several clients by id (Connected Apps shows names and icons). */
export async function findClients(db: Db, ids: string[]): Promise<Map<string, OAuthClient>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('oauth_clients').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, toClient(r)]));
}

/**
 * Marks that the client completed an authorization, so cleanup keeps it (S24). At most once a
 * minute per client, like touchGrant: cleanup only asks whether it ever happened, and a no-op
 * update writes nothing (nor, on PostgreSQL, locks the row concurrent exchanges would wait on).
 */
export async function markClientAuthorized(db: Db, id: string, now: number): Promise<void> {
  await db
    .updateTable('oauth_clients')
    .set({ last_authorized_at: now, updated_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_authorized_at', 'is', null), eb('last_authorized_at', '<', now - 60_000)]))
    .execute();
}

/**
 * Removes dynamic registrations older than `before` that never completed an authorization (S24).
 * They hold no grants, so deleting them loses nothing a user saved.
 */
export async function deleteUnusedClients(db: Db, before: number): Promise<number> {
  const result = await db
    .deleteFrom('oauth_clients')
    .where('kind', '=', 'dynamic')
    .where('last_authorized_at', 'is', null)
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
