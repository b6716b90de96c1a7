import { ApiError, validationError } from '../domain/errors.ts';
import { checkFetchTarget, SafeFetchError } from '../lib/safe-fetch.ts';
import { openString, sealString } from '../lib/secret-box.ts';
import type { Db } from '../store/db.ts';
import { listDeliveries } from '../store/deliveries.ts';
import {
  deleteIntegration,
  findIntegration,
  type IntegrationProvider,
  type IntegrationStatus,
  listIntegrations as listIntegrationRows,
  markIntegrationRefused,
  type StoredIntegration,
  saveIntegration,
} from '../store/integrations.ts';
import { type Access, requireCapability } from './access.ts';
import { audit, type RequestOrigin } from './audit.ts';
import { type DeliveryView, deliveryView } from './delivery-log.ts';
import type { Deps } from './deps.ts';

// Workspace integrations (issue 10 §5, §6): a Slack incoming-webhook URL, an Intercom access token,
// a Zendesk API token, one of each per workspace, managed by admins and owners. The credential is
// sealed with secret-box and never shown again: the page gets its last four characters. The base
// URLs are settings so a region (api.eu.intercom.io) or a test's local server can be used; every
// request to them goes through the SSRF guard at send time (delivery/slack.ts, helpdesk.ts).

export type { IntegrationProvider, IntegrationStatus } from '../store/integrations.ts';

export const INTEGRATION_PROVIDERS: readonly IntegrationProvider[] = ['slack', 'intercom', 'zendesk'];

/** The names a person reads ("Reconnect Intercom"). */
export const PROVIDER_NAMES: Record<IntegrationProvider, string> = {
  slack: 'Slack',
  intercom: 'Intercom',
  zendesk: 'Zendesk',
};

export const DEFAULT_INTERCOM_BASE_URL = 'https://api.intercom.io';

const SECRET_LABEL = 'integration-secret';
const MAX_URL = 500;
const MAX_TOKEN = 500;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
// Intercom admin ids are numeric today; accept the id characters any API version has used.
const ADMIN_ID = /^[A-Za-z0-9_-]{1,64}$/;
// A DNS label: what goes before .zendesk.com.
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Printable ASCII, no spaces: what API tokens are made of (and what fits in a header).
const TOKEN = /^[\x21-\x7e]+$/;

/** What the settings page shows of an integration: never the credential, only its last characters. */
export interface IntegrationView {
  provider: IntegrationProvider;
  name: string;
  status: IntegrationStatus;
  /** Why it needs reconnecting (the provider's refusal), for the warning on the page. */
  statusDetail: string | null;
  connectedAt: number;
  updatedAt: number;
  /** "…ab12": the last four characters of the token or webhook URL. */
  secretHint: string;
  /** Slack: the webhook's host (hooks.slack.com); Intercom/Zendesk: the API base URL. */
  baseUrl: string;
  /** Intercom: the admin the notes are written as. */
  adminId: string | null;
  /** Zendesk: the agent whose API token it is. */
  agentEmail: string | null;
}

/** What the senders need: the settings and the opened credential (never leaves the services). */
export interface IntegrationCredentials {
  workspaceId: string;
  provider: IntegrationProvider;
  /** Slack: the webhook URL itself; Intercom/Zendesk: the API base URL without a trailing slash. */
  url: string;
  /** Slack: the webhook URL; Intercom: the access token; Zendesk: the API token. */
  secret: string;
  adminId: string | null;
  agentEmail: string | null;
  /** The sealed credential, so a refusal marks only the credential that was refused. */
  sealedSecret: string;
}

/** Connect form input (strings as typed; empty means "not given"). */
export interface ConnectInput {
  /** Slack incoming-webhook URL. */
  webhookUrl?: string;
  /** Intercom access token. */
  accessToken?: string;
  /** Intercom admin id. */
  adminId?: string;
  /** Zendesk subdomain (acme for acme.zendesk.com). */
  subdomain?: string;
  /** Zendesk agent e-mail. */
  email?: string;
  /** Zendesk API token. */
  apiToken?: string;
  /** Intercom or Zendesk API base URL (default https://api.intercom.io, https://<subdomain>.zendesk.com). */
  baseUrl?: string;
}

/** 'slack' | 'intercom' | 'zendesk', or 404 (an unknown provider in a path is not a page). */
export function parseProvider(value: string): IntegrationProvider {
  if ((INTEGRATION_PROVIDERS as readonly string[]).includes(value)) return value as IntegrationProvider;
  throw new ApiError(404, 'NOT_FOUND', `No integration named ${JSON.stringify(value.slice(0, 40))}`);
}

function hint(secret: string): string {
  return `…${secret.slice(-4)}`;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function toView(row: StoredIntegration): IntegrationView {
  return {
    provider: row.provider,
    name: PROVIDER_NAMES[row.provider],
    status: row.status,
    statusDetail: row.statusDetail,
    connectedAt: row.createdAt,
    updatedAt: row.updatedAt,
    secretHint: text(row.config.secretHint) ?? '…',
    baseUrl: text(row.config.baseUrl) ?? '',
    adminId: text(row.config.adminId),
    agentEmail: text(row.config.email),
  };
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * An outbound URL an admin typed: https (http only to loopback, and only when
 * ALLOW_PRIVATE_NETWORK_FETCH is on, for development), no credentials or fragment, and no literal
 * private address unless that setting allows it. Names are checked again after DNS at send time.
 */
function outboundUrl(deps: Deps, field: string, raw: string, options: { base: boolean }): URL {
  const value = raw.trim();
  if (value.length === 0) throw validationError(field, 'is required');
  if (value.length > MAX_URL) throw validationError(field, `must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw validationError(field, 'must be a URL such as https://example.com/…');
  }
  const dev = deps.config.allowPrivateNetworkFetch;
  if (url.protocol === 'http:') {
    if (!(dev && isLoopbackHost(url.hostname)))
      throw validationError(field, 'must start with https:// (http only for localhost in development)');
  } else if (url.protocol !== 'https:') {
    throw validationError(field, 'must start with https://');
  }
  if (url.username !== '' || url.password !== '')
    throw validationError(field, 'must not contain a user name or password');
  if (url.hash !== '') throw validationError(field, 'must not contain a #fragment');
  if (options.base && url.search !== '') throw validationError(field, 'must not contain a ?query');
  return url;
}

/**
 * Refuses a URL whose host resolves to a private or loopback address now (SECURITY.md S25), so the
 * admin hears of it at once; a name that does not resolve at the moment is accepted, since each
 * send checks again after DNS anyway.
 */
async function checkReachable(deps: Deps, field: string, url: string): Promise<void> {
  try {
    await checkFetchTarget(url, {
      timeoutMs: 2_000,
      allowPrivateAddresses: deps.config.allowPrivateNetworkFetch,
    });
  } catch (error) {
    if (
      error instanceof SafeFetchError &&
      (error.reason === 'blocked_address' || error.reason === 'invalid_url')
    )
      throw validationError(field, 'must not point at a private or loopback address');
    if (!(error instanceof SafeFetchError)) throw error;
  }
}

/** A base URL as stored: origin plus any path, without a trailing slash. */
function baseUrlText(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function token(field: string, raw: string | undefined): string | null {
  const value = (raw ?? '').trim();
  if (value.length === 0) return null;
  if (value.length > MAX_TOKEN) throw validationError(field, `must be at most ${MAX_TOKEN} characters`);
  if (!TOKEN.test(value))
    throw validationError(field, 'must be the token as the provider shows it, without spaces');
  return value;
}

interface Prepared {
  config: Record<string, unknown>;
  /** The new credential, or null to keep the stored one (a form left blank on replace). */
  secret: string | null;
}

/** The settings each provider takes; anything else is refused rather than silently dropped. */
const FIELDS: Record<IntegrationProvider, ReadonlyArray<keyof ConnectInput>> = {
  slack: ['webhookUrl'],
  intercom: ['accessToken', 'adminId', 'baseUrl'],
  zendesk: ['subdomain', 'baseUrl', 'email', 'apiToken'],
};

function prepare(
  deps: Deps,
  provider: IntegrationProvider,
  input: ConnectInput,
  existing: boolean,
): Prepared {
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !(FIELDS[provider] as readonly string[]).includes(key))
      throw validationError(key, `is not a setting of ${PROVIDER_NAMES[provider]}`);
  }
  if (provider === 'slack') {
    const url = outboundUrl(deps, 'webhookUrl', input.webhookUrl ?? '', { base: false });
    return { config: { baseUrl: url.host, secretHint: hint(url.href) }, secret: url.href };
  }
  if (provider === 'intercom') {
    const secret = token('accessToken', input.accessToken);
    if (secret === null && !existing) throw validationError('accessToken', 'is required');
    const adminId = (input.adminId ?? '').trim();
    if (!ADMIN_ID.test(adminId))
      throw validationError(
        'adminId',
        'must be the id of the Intercom teammate the notes are written as (digits)',
      );
    const base = (input.baseUrl ?? '').trim() || DEFAULT_INTERCOM_BASE_URL;
    const baseUrl = baseUrlText(outboundUrl(deps, 'baseUrl', base, { base: true }));
    return { config: { baseUrl, adminId, ...(secret ? { secretHint: hint(secret) } : {}) }, secret };
  }
  const secret = token('apiToken', input.apiToken);
  if (secret === null && !existing) throw validationError('apiToken', 'is required');
  const email = (input.email ?? '').trim();
  if (email.length > 254 || !EMAIL.test(email))
    throw validationError('email', 'must be the e-mail address of the Zendesk agent who made the API token');
  const subdomain = (input.subdomain ?? '').trim().toLowerCase();
  const typedBase = (input.baseUrl ?? '').trim();
  let baseUrl: string;
  if (typedBase.length > 0) {
    baseUrl = baseUrlText(outboundUrl(deps, 'baseUrl', typedBase, { base: true }));
  } else {
    if (!SUBDOMAIN.test(subdomain))
      throw validationError('subdomain', 'must be your Zendesk subdomain: acme for acme.zendesk.com');
    baseUrl = `https://${subdomain}.zendesk.com`;
  }
  return {
    config: {
      baseUrl,
      email,
      ...(subdomain ? { subdomain } : {}),
      ...(secret ? { secretHint: hint(secret) } : {}),
    },
    secret,
  };
}

/** The workspace's integrations as the settings page shows them (admin or owner). */
export async function listIntegrations(deps: Deps, access: Access): Promise<IntegrationView[]> {
  requireCapability(access, 'integration.manage', 'Managing integrations');
  return (await listIntegrationRows(deps.db, access.workspace.id)).map(toView);
}

/**
 * Connects a provider, or replaces its credentials (admin or owner). On replace, an Intercom or
 * Zendesk token left blank keeps the stored one. Saving makes the status `connected` again.
 * Bad input is 400 naming the field and changes nothing.
 */
export async function connectIntegration(
  deps: Deps,
  access: Access,
  provider: IntegrationProvider,
  input: ConnectInput,
  origin?: RequestOrigin,
): Promise<IntegrationView> {
  requireCapability(access, 'integration.manage', `Connecting ${PROVIDER_NAMES[provider]}`);
  const workspaceId = access.workspace.id;
  const existing = await findIntegration(deps.db, workspaceId, provider);
  const prepared = prepare(deps, provider, input, existing !== undefined);
  if (provider === 'slack') await checkReachable(deps, 'webhookUrl', prepared.secret!);
  else await checkReachable(deps, 'baseUrl', String(prepared.config.baseUrl));
  const config = { ...prepared.config };
  let sealedSecret: string;
  if (prepared.secret !== null) {
    sealedSecret = sealString(deps.config.secret, SECRET_LABEL, prepared.secret);
  } else {
    // Only reachable with an existing row (prepare insists on a secret otherwise).
    sealedSecret = existing!.sealedSecret;
    config.secretHint = existing!.config.secretHint;
  }
  const row = await deps.db.transaction().execute(async (trx) => {
    const saved = await saveIntegration(trx, {
      workspaceId,
      provider,
      config,
      sealedSecret,
      now: deps.clock.now(),
    });
    await audit(
      deps,
      'integration.connected',
      {
        userId: access.userId,
        workspaceId,
        ...(origin ? { origin } : {}),
        detail: { provider, replaced: existing !== undefined },
      },
      trx,
    );
    return saved;
  });
  return toView(row);
}

/** Disconnects a provider (admin or owner): its credential is deleted; 404 if it was not connected. */
export async function disconnectIntegration(
  deps: Deps,
  access: Access,
  provider: IntegrationProvider,
  origin?: RequestOrigin,
): Promise<void> {
  requireCapability(access, 'integration.manage', `Disconnecting ${PROVIDER_NAMES[provider]}`);
  const workspaceId = access.workspace.id;
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteIntegration(trx, workspaceId, provider)))
      throw new ApiError(404, 'NOT_FOUND', `${PROVIDER_NAMES[provider]} is not connected`);
    await audit(
      deps,
      'integration.disconnected',
      { userId: access.userId, workspaceId, ...(origin ? { origin } : {}), detail: { provider } },
      trx,
    );
  });
}

/** The latest deliveries of a provider in the workspace, newest first (admin or owner). */
export async function recentIntegrationDeliveries(
  deps: Deps,
  access: Access,
  provider: IntegrationProvider,
  limit = 10,
): Promise<DeliveryView[]> {
  requireCapability(access, 'integration.manage', 'Managing integrations');
  const rows = await listDeliveries(deps.db, access.workspace.id, { channel: provider, limit });
  return rows.map(deliveryView);
}

// The channels' side: no access checks (the outbox acts for the workspace), credentials opened
// only to send.

/**
 * Where the workspace's `provider` posts (the Slack host, the API base URL), if it is set up at all,
 * read in `db` (the event's transaction). An integration that needs reconnecting still counts: its
 * deliveries fail visibly in the log instead of vanishing.
 */
export async function integrationTarget(
  db: Db,
  workspaceId: string,
  provider: IntegrationProvider,
): Promise<{ baseUrl: string; status: IntegrationStatus } | undefined> {
  const row = await findIntegration(db, workspaceId, provider);
  return row && { baseUrl: text(row.config.baseUrl) ?? '', status: row.status };
}

/** The workspace's settings and opened credential for `provider`, or undefined when not connected. */
export async function integrationCredentials(
  deps: Deps,
  workspaceId: string,
  provider: IntegrationProvider,
): Promise<IntegrationCredentials | undefined> {
  const row = await findIntegration(deps.db, workspaceId, provider);
  if (!row) return undefined;
  const secret = openString(deps.config.secret, SECRET_LABEL, row.sealedSecret);
  return {
    workspaceId,
    provider,
    url: provider === 'slack' ? secret : (text(row.config.baseUrl) ?? ''),
    secret,
    adminId: text(row.config.adminId),
    agentEmail: text(row.config.email),
    sealedSecret: row.sealedSecret,
  };
}

/**
 * The provider refused the credential (401/403): the page shows "Reconnect <provider>" with
 * `detail` until an admin saves credentials again. Credentials replaced meanwhile are left alone.
 */
export async function reportRefusedCredentials(
  deps: Deps,
  credentials: IntegrationCredentials,
  detail: string,
): Promise<void> {
  const changed = await markIntegrationRefused(deps.db, {
    workspaceId: credentials.workspaceId,
    provider: credentials.provider,
    sealedSecret: credentials.sealedSecret,
    detail: detail.slice(0, 500),
    now: deps.clock.now(),
  });
  if (changed)
    deps.log.warn(
      { workspaceId: credentials.workspaceId, provider: credentials.provider },
      'integration credentials refused; needs reconnecting',
    );
}
