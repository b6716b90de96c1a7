import {
  checkClientName,
  checkMetadataDocumentUrl,
  MAX_METADATA_DOCUMENT_BYTES,
  validateMetadataDocument,
  validateRegistrationRequest,
  vendorForMetadataUrl,
} from '../../domain/oauth/client-metadata.ts';
import { OAuthError } from '../../domain/oauth/errors.ts';
import { constantTimeEqual, randomToken, sha256Hex } from '../../lib/crypto.ts';
import { SafeFetchError, safeFetch } from '../../lib/safe-fetch.ts';
import {
  findClient,
  insertClient,
  type OAuthClient,
  upsertMetadataClient,
} from '../../store/oauth-clients.ts';
import { audit, type RequestOrigin } from '../audit.ts';
import type { Deps } from '../deps.ts';

export type { OAuthClient };

// How long a fetched metadata document is trusted when its response says nothing (and the bounds
// put on what it says): long enough that an authorization flow does not refetch, short enough
// that a changed document is picked up within the hour.
const CIMD_DEFAULT_TTL_MS = 60 * 60_000;
const CIMD_MAX_TTL_MS = 24 * 60 * 60_000;
const CIMD_TIMEOUT_MS = 5_000;

/** The default CIMD fetcher: SSRF-guarded whatever the development settings say (S25). */
export async function fetchMetadataDocumentSafely(url: string) {
  const res = await safeFetch(url, {
    maxBytes: MAX_METADATA_DOCUMENT_BYTES,
    timeoutMs: CIMD_TIMEOUT_MS,
    allowPrivateAddresses: false,
    headers: { accept: 'application/json' },
  });
  return { status: res.status, headers: res.headers, body: res.body };
}

/**
 * S26: a client may not call itself by a vendor's name ("Claude", "Cursor", …) unless it comes from
 * that vendor's verified metadata domain. Refusing the registration would break the real clients,
 * which register dynamically under their product names (INTEROP), so the name is kept but marked:
 * people see "Cursor (unverified)" on the consent screen and in Connected Apps.
 */
export function displayName(name: string, vendor: string | null): string {
  return checkClientName(name, vendor) ? `${name} (unverified)` : name;
}

/** RFC 7591 registration response fields (§3.2.1) for a stored client. */
export function registrationResponse(client: OAuthClient, clientSecret?: string) {
  return {
    client_id: client.id,
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    ...(client.logoUri ? { logo_uri: client.logoUri } : {}),
    ...(client.clientUri ? { client_uri: client.clientUri } : {}),
    ...(client.applicationType ? { application_type: client.applicationType } : {}),
    ...(client.softwareId ? { software_id: client.softwareId } : {}),
    ...(client.softwareVersion ? { software_version: client.softwareVersion } : {}),
    scope: 'mcp:tools',
  };
}

/**
 * Dynamic Client Registration (RFC 7591). Client ids are generated here (S23); a secret is issued
 * only to clients that asked for a secret-based method (INTEROP item 8), and stored hashed (S37).
 */
export async function registerClient(
  deps: Deps,
  body: unknown,
  origin: RequestOrigin,
): Promise<{ client: OAuthClient; clientSecret?: string }> {
  const metadata = validateRegistrationRequest(body, { allowedSchemes: deps.config.oauthRedirectSchemes });
  const now = deps.clock.now();
  const clientSecret = metadata.token_endpoint_auth_method === 'none' ? undefined : randomToken(32);
  // The registration and its audit event commit together: one commit per registration (on SQLite
  // each commit is an fsync), and no registration is stored without its audit event.
  return await deps.db.transaction().execute(async (trx) => {
    const client = await insertClient(trx, {
      id: `oc_${randomToken(18)}`,
      kind: 'dynamic',
      name: displayName(metadata.client_name, null),
      logoUri: metadata.logo_uri ?? null,
      clientUri: metadata.client_uri ?? null,
      redirectUris: metadata.redirect_uris,
      tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
      clientSecretHash: clientSecret ? sha256Hex(clientSecret) : null,
      grantTypes: metadata.grant_types,
      responseTypes: metadata.response_types,
      applicationType: metadata.application_type ?? null,
      softwareId: metadata.software_id ?? null,
      softwareVersion: metadata.software_version ?? null,
      scope: metadata.scope ?? null,
      verifiedVendor: null,
      registrationIp: origin.ip ?? null,
      metadataFetchedAt: null,
      metadataExpiresAt: null,
      createdAt: now,
    });
    await audit(
      deps,
      'client.registered',
      {
        clientId: client.id,
        origin,
        detail: {
          client_name: client.name,
          redirect_uris: client.redirectUris,
          method: client.tokenEndpointAuthMethod,
        },
      },
      trx,
    );
    return clientSecret ? { client, clientSecret } : { client };
  });
}

/** How long a fetched document may be reused, from its Cache-Control / Expires headers. */
function documentTtlMs(headers: Record<string, string>, now: number): number {
  const cacheControl = headers['cache-control'] ?? '';
  if (/\b(no-store|no-cache)\b/i.test(cacheControl)) return 0;
  const maxAge = /\bmax-age=(\d+)/i.exec(cacheControl);
  if (maxAge) return Math.min(Number(maxAge[1]) * 1000, CIMD_MAX_TTL_MS);
  const expires = headers.expires ? Date.parse(headers.expires) : Number.NaN;
  if (!Number.isNaN(expires)) return Math.max(0, Math.min(expires - now, CIMD_MAX_TTL_MS));
  return CIMD_DEFAULT_TTL_MS;
}

function isMetadataDocumentId(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/**
 * Fetches, validates and caches a Client ID Metadata Document (S25). A fetch or validation failure
 * is an `invalid_client`; a cached copy is used while its HTTP caching allows.
 */
async function resolveMetadataClient(deps: Deps, clientId: string): Promise<OAuthClient> {
  const urlProblem = checkMetadataDocumentUrl(clientId);
  if (urlProblem) throw new OAuthError('invalid_client', `client_id: ${urlProblem}`);
  const now = deps.clock.now();
  const cached = await findClient(deps.db, clientId);
  if (cached && cached.deletedAt === null && (cached.metadataExpiresAt ?? 0) > now) return cached;

  let response: Awaited<ReturnType<Deps['fetchMetadataDocument']>>;
  try {
    response = await deps.fetchMetadataDocument(clientId);
  } catch (error) {
    // The reason (a blocked address, a DNS answer, a timeout) stays in our log: telling the caller
    // how our resolver sees a hostname would map the network behind us for them.
    const reason = error instanceof SafeFetchError ? error.message : String(error);
    deps.log.info({ clientId, reason }, 'client metadata document could not be fetched');
    throw new OAuthError('invalid_client', 'client metadata document: it could not be fetched');
  }
  if (response.status !== 200) {
    throw new OAuthError(
      'invalid_client',
      `client metadata document: the server answered ${response.status}`,
    );
  }
  if (response.body.length > MAX_METADATA_DOCUMENT_BYTES) {
    throw new OAuthError('invalid_client', 'client metadata document: larger than 5 KiB');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new OAuthError('invalid_client', 'client metadata document: not JSON');
  }
  let metadata: ReturnType<typeof validateMetadataDocument>;
  try {
    metadata = validateMetadataDocument(doc, clientId, { allowedSchemes: deps.config.oauthRedirectSchemes });
  } catch (error) {
    if (error instanceof OAuthError)
      throw new OAuthError('invalid_client', `client metadata document: ${error.description}`);
    throw error;
  }
  const vendor = vendorForMetadataUrl(clientId);

  const client = await upsertMetadataClient(deps.db, {
    id: clientId,
    kind: 'metadata_document',
    name: displayName(metadata.client_name, vendor),
    logoUri: metadata.logo_uri ?? null,
    clientUri: metadata.client_uri ?? null,
    redirectUris: metadata.redirect_uris,
    tokenEndpointAuthMethod: 'none',
    clientSecretHash: null,
    grantTypes: metadata.grant_types,
    responseTypes: metadata.response_types,
    applicationType: metadata.application_type ?? null,
    softwareId: metadata.software_id ?? null,
    softwareVersion: metadata.software_version ?? null,
    scope: metadata.scope ?? null,
    verifiedVendor: vendor,
    registrationIp: null,
    metadataFetchedAt: now,
    metadataExpiresAt: now + documentTtlMs(response.headers, now),
    createdAt: now,
  });
  await audit(deps, 'client.metadata_fetched', { clientId, detail: { client_name: client.name } });
  return client;
}

/** The client for a client_id (registered, or a metadata document URL); `invalid_client` otherwise. */
export async function resolveClient(deps: Deps, clientId: string | undefined): Promise<OAuthClient> {
  if (!clientId || clientId.length > 2000)
    throw new OAuthError('invalid_client', 'client_id is missing or unknown');
  if (isMetadataDocumentId(clientId)) return resolveMetadataClient(deps, clientId);
  const client = await findClient(deps.db, clientId);
  // S24: an unknown or removed client is told so, so that it registers again (INTEROP item 3).
  if (!client || client.deletedAt !== null)
    throw new OAuthError('invalid_client', 'Unknown client; register again');
  return client;
}

export interface PresentedClientCredentials {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  method: 'none' | 'client_secret_post' | 'client_secret_basic';
}

/**
 * Authenticates the client at the token and revocation endpoints (RFC 6749 §2.3): the method used
 * must be the one registered, and a secret must match its stored hash in constant time.
 */
export async function authenticateClient(
  deps: Deps,
  presented: PresentedClientCredentials,
): Promise<OAuthClient> {
  const client = await resolveClient(deps, presented.clientId);
  if (client.tokenEndpointAuthMethod === 'none') {
    if (presented.method !== 'none')
      throw new OAuthError('invalid_client', 'This client is public: send client_id without a secret');
    return client;
  }
  if (
    presented.method !== client.tokenEndpointAuthMethod ||
    !presented.clientSecret ||
    !client.clientSecretHash
  ) {
    throw new OAuthError(
      'invalid_client',
      `Client authentication failed: use ${client.tokenEndpointAuthMethod}`,
    );
  }
  if (!constantTimeEqual(sha256Hex(presented.clientSecret), client.clientSecretHash)) {
    throw new OAuthError('invalid_client', 'Client authentication failed');
  }
  return client;
}
