import {
  LocalAuthorizationError,
  OAuthError,
  RedirectedAuthorizationError,
  type ValidatedRedirect,
} from '../../domain/oauth/errors.ts';
import { parameterProblem } from '../../domain/oauth/parameters.ts';
import { isValidCodeChallenge } from '../../domain/oauth/pkce.ts';
import { isLoopbackRedirect, redirectHost, redirectUriMatches } from '../../domain/oauth/redirect-uri.ts';
import { resolveResource } from '../../domain/oauth/resource.ts';
import { grantedScope } from '../../domain/oauth/scope.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { newId } from '../../lib/ids.ts';
import { findClient } from '../../store/oauth-clients.ts';
import {
  completePending,
  decidePending,
  findActiveGrant,
  findPending,
  type Grant,
  insertCode,
  insertGrant,
  insertPending,
  type NewPendingAuthorization,
  type PendingAuthorization,
  revokeGrant,
} from '../../store/oauth-grants.ts';
import { audit, type RequestOrigin } from '../audit.ts';
import { newEventId } from '../delivery/events.ts';
import { publish } from '../delivery/outbox.ts';
import type { Deps } from '../deps.ts';
import { type OAuthClient, resolveClient } from './clients.ts';
import { CODE_TTL_MS, PENDING_TTL_MS } from './lifetimes.ts';
import { mcpResourceUrl } from './tokens.ts';

/** The validated request kept while the user signs in and decides. */
interface RequestParams {
  /** Where the answer goes: the request's redirect_uri, or the client's only registered one. */
  redirect_uri: string;
  /**
   * Set when the request carried no redirect_uri (OAuth 2.1 §4.1.1 allows that with one registered
   * URI); the token request may then omit it too. Absent means it was sent: the strict default.
   */
  redirect_uri_omitted?: true;
  state?: string;
  code_challenge: string;
  scope: string;
  resource: string;
}

/** Builds the authorization response URL: code (or error), state and iss (RFC 9207, S34). */
export function authorizationResponseUrl(
  deps: Pick<Deps, 'config'>,
  redirect: ValidatedRedirect,
  fields: Record<string, string>,
): string {
  const url = new URL(redirect.redirectUri);
  for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
  if (redirect.state !== undefined) url.searchParams.set('state', redirect.state);
  url.searchParams.set('iss', deps.config.publicUrl);
  return url.toString();
}

function single(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name];
  if (!values || values.length === 0) return undefined;
  // RFC 6749 §3.1: parameters must not be included more than once.
  if (values.length > 1) throw new OAuthError('invalid_request', `${name} must not be repeated`);
  // Every parameter we read is single-line text of bounded length, and client_id is looked up in
  // the database: NUL, controls and megabytes are refused here (S38, domain/oauth/parameters.ts).
  const problem = parameterProblem(name, values[0]!);
  if (problem) throw new OAuthError('invalid_request', problem);
  return values[0];
}

/**
 * Validates an authorization request in the order RFC 9700 asks: client and redirect URI first
 * (failures are local pages, S1), then everything else (failures go to the client), and returns it
 * as a pending row bound to the browser that sent it (S29), not yet stored.
 */
async function validateAuthorization(
  deps: Deps,
  query: Record<string, string[]>,
  browserBinding: string,
): Promise<{ pending: NewPendingAuthorization; params: RequestParams; client: OAuthClient }> {
  let clientId: string | undefined;
  let presentedRedirect: string | undefined;
  try {
    clientId = single(query, 'client_id');
    presentedRedirect = single(query, 'redirect_uri');
  } catch (error) {
    throw new LocalAuthorizationError('Invalid request', (error as Error).message);
  }
  let client: OAuthClient;
  try {
    client = await resolveClient(deps, clientId);
  } catch (error) {
    throw new LocalAuthorizationError(
      'Unknown application',
      `This application is not registered here. ${(error as Error).message}`,
    );
  }
  // OAuth 2.1 §4.1.1: redirect_uri may be omitted only when exactly one is registered.
  const redirectUri =
    presentedRedirect ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri)
    throw new LocalAuthorizationError('Invalid request', 'redirect_uri is required for this application');
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    throw new LocalAuthorizationError(
      'Invalid redirect address',
      'The redirect_uri does not match any address registered for this application, so we will not send you there.',
    );
  }

  let state: string | undefined;
  try {
    state = single(query, 'state');
  } catch (error) {
    throw new RedirectedAuthorizationError({ redirectUri }, error as OAuthError);
  }
  const redirect: ValidatedRedirect = state === undefined ? { redirectUri } : { redirectUri, state };
  try {
    if (state !== undefined && state.length > 2000)
      throw new OAuthError('invalid_request', 'state is too long');
    const responseType = single(query, 'response_type');
    // S33, OAuth 2.1 §4.1.1: only the authorization code flow; the implicit flow is gone.
    if (responseType !== 'code')
      throw new OAuthError('unsupported_response_type', 'response_type must be code');
    const challenge = single(query, 'code_challenge');
    const method = single(query, 'code_challenge_method');
    // S6: PKCE with S256 is required; "plain" (the RFC 7636 default when absent) is refused.
    if (!challenge) throw new OAuthError('invalid_request', 'code_challenge is required (PKCE)');
    if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
    if (!isValidCodeChallenge(challenge))
      throw new OAuthError('invalid_request', 'code_challenge is malformed');
    for (const value of query.resource ?? []) {
      const problem = parameterProblem('resource', value);
      if (problem) throw new OAuthError('invalid_request', problem);
    }
    const resource = resolveResource(query.resource, mcpResourceUrl(deps));
    const params: RequestParams = {
      redirect_uri: redirectUri,
      ...(presentedRedirect === undefined ? { redirect_uri_omitted: true as const } : {}),
      code_challenge: challenge,
      scope: grantedScope(single(query, 'scope')),
      resource,
      ...(state !== undefined ? { state } : {}),
    };
    const now = deps.clock.now();
    const pending: NewPendingAuthorization = {
      id: `${newId('par', now)}${randomToken(12)}`,
      browserBindingHash: sha256Hex(browserBinding),
      clientId: client.id,
      params,
      createdAt: now,
      expiresAt: now + PENDING_TTL_MS,
    };
    return { pending, params, client };
  } catch (error) {
    if (error instanceof OAuthError) throw new RedirectedAuthorizationError(redirect, error);
    throw error;
  }
}

export type ResumeOutcome =
  | { kind: 'signin'; pendingId: string }
  | {
      kind: 'consent';
      pendingId: string;
      client: OAuthClient;
      scope: string;
      redirectHost: string;
      loopbackRedirect: boolean;
    }
  | { kind: 'redirect'; location: string };

function redirectOf(params: RequestParams): ValidatedRedirect {
  return params.state === undefined
    ? { redirectUri: params.redirect_uri }
    : { redirectUri: params.redirect_uri, state: params.state };
}

function consentOutcome(pendingId: string, client: OAuthClient, params: RequestParams): ResumeOutcome {
  return {
    kind: 'consent',
    pendingId,
    client,
    scope: params.scope,
    redirectHost: redirectHost(params.redirect_uri),
    loopbackRedirect: isLoopbackRedirect(params.redirect_uri),
  };
}

/**
 * GET /authorize: validates the request (see validateAuthorization), then moves it on as
 * resumeAuthorization would. A request that has to wait for sign-in or consent is stored, bound to
 * this browser (S29). A signed-in user who already granted this client the same scope gets a code
 * at once, in one commit: such a request never waits, so there is no pending row to store (it would
 * be completed in the same breath, and a completed row cannot be resumed anyway), and the browser
 * binding has nothing to protect, since the request, the session and the code stay in this one
 * response.
 */
export async function startAuthorization(
  deps: Deps,
  input: {
    query: Record<string, string[]>;
    browserBinding: string;
    userId: string | undefined;
    origin: RequestOrigin;
  },
): Promise<ResumeOutcome> {
  const { pending, params, client } = await validateAuthorization(deps, input.query, input.browserBinding);
  if (input.userId) {
    const grant = await findActiveGrant(deps.db, input.userId, client.id);
    if (grant && grant.scope === params.scope && grant.resource === params.resource) {
      return await issueCode(deps, { client, grant, params, userId: input.userId, origin: input.origin });
    }
  }
  await insertPending(deps.db, pending);
  return input.userId
    ? consentOutcome(pending.id, client, params)
    : { kind: 'signin', pendingId: pending.id };
}

async function loadPending(
  deps: Deps,
  pendingId: string | undefined,
  browserBinding: string | undefined,
): Promise<PendingAuthorization> {
  // The id comes from a query string or a form: never looked up when it breaks the rule.
  const problem = pendingId === undefined ? undefined : parameterProblem('pending', pendingId);
  if (problem) throw new LocalAuthorizationError('Invalid request', problem);
  const pending = pendingId && pendingId.length <= 100 ? await findPending(deps.db, pendingId) : undefined;
  if (!pending || pending.expiresAt <= deps.clock.now() || pending.completedAt !== null) {
    throw new LocalAuthorizationError(
      'Request expired',
      'This sign-in request has expired or was already used. Start again from your application.',
    );
  }
  // S29: only the browser that started the request may finish it.
  if (!browserBinding || sha256Hex(browserBinding) !== pending.browserBindingHash) {
    throw new LocalAuthorizationError(
      'Request not recognised',
      'This sign-in request was started in another browser. Start again from your application.',
      403,
    );
  }
  return pending;
}

/**
 * Moves a pending request on: sign-in when nobody is signed in; the consent screen unless the user
 * already granted this client the same scope (then straight to a code); the answer to the client
 * once a decision exists.
 */
export async function resumeAuthorization(
  deps: Deps,
  input: {
    pendingId: string | undefined;
    browserBinding: string | undefined;
    userId: string | undefined;
    origin: RequestOrigin;
  },
): Promise<ResumeOutcome> {
  const pending = await loadPending(deps, input.pendingId, input.browserBinding);
  const params = pending.params as unknown as RequestParams;
  const redirect = redirectOf(params);
  if (!input.userId) return { kind: 'signin', pendingId: pending.id };
  const client = await resolveClient(deps, pending.clientId).catch(() => {
    throw new LocalAuthorizationError('Unknown application', 'This application is no longer registered.');
  });

  if (pending.decision === 'deny' && pending.userId === input.userId) {
    await completePending(deps.db, pending.id, deps.clock.now());
    return {
      kind: 'redirect',
      location: authorizationResponseUrl(deps, redirect, {
        error: 'access_denied',
        error_description: 'The user denied access',
      }),
    };
  }
  const grant = await findActiveGrant(deps.db, input.userId, client.id);
  const allowed = pending.decision === 'allow' && pending.userId === input.userId;
  if (!allowed && !(grant && grant.scope === params.scope && grant.resource === params.resource)) {
    return consentOutcome(pending.id, client, params);
  }
  if (!grant)
    throw new LocalAuthorizationError(
      'Access revoked',
      'Access for this application was revoked meanwhile. Start again.',
    );
  return await issueCode(deps, {
    client,
    grant,
    params,
    userId: input.userId,
    origin: input.origin,
    pendingId: pending.id,
  });
}

/**
 * Issues the code and answers the client. Completing the pending request (when there is one), the
 * code and the audit event commit together; completing first keeps a double submit from getting a
 * second code, and the loser stores nothing.
 */
async function issueCode(
  deps: Deps,
  input: {
    client: OAuthClient;
    grant: Grant;
    params: RequestParams;
    userId: string;
    origin: RequestOrigin;
    pendingId?: string;
  },
): Promise<ResumeOutcome> {
  const { client, grant, params, pendingId } = input;
  const now = deps.clock.now();
  const code = randomToken(32);
  const issued = await deps.db.transaction().execute(async (trx) => {
    if (pendingId !== undefined && !(await completePending(trx, pendingId, now))) return false;
    await insertCode(trx, {
      codeHash: sha256Hex(code),
      clientId: client.id,
      userId: input.userId,
      grantId: grant.id,
      // The redirect_uri parameter of the request, which the token request must repeat exactly
      // (OAuth 2.1 §4.1.3); '' when the request had none.
      redirectUri: params.redirect_uri_omitted ? '' : params.redirect_uri,
      codeChallenge: params.code_challenge,
      scope: params.scope,
      resource: params.resource,
      createdAt: now,
      expiresAt: now + CODE_TTL_MS,
    });
    await audit(
      deps,
      'authorization.requested',
      { userId: input.userId, clientId: client.id, grantId: grant.id, origin: input.origin },
      trx,
    );
    return true;
  });
  if (!issued) {
    throw new LocalAuthorizationError(
      'Request expired',
      'This sign-in request was already used. Start again from your application.',
    );
  }
  return { kind: 'redirect', location: authorizationResponseUrl(deps, redirectOf(params), { code }) };
}

/**
 * Records the user's Allow or Deny (S29). Allow makes the Connected App: the active grant of this
 * user and client, reused when it exists with the same scope, created otherwise.
 */
export async function decideAuthorization(
  deps: Deps,
  input: {
    pendingId: string | undefined;
    browserBinding: string | undefined;
    userId: string;
    decision: string | undefined;
    origin: RequestOrigin;
  },
): Promise<void> {
  const pending = await loadPending(deps, input.pendingId, input.browserBinding);
  if (input.decision !== 'allow' && input.decision !== 'deny') {
    throw new LocalAuthorizationError('Invalid request', 'Choose Allow or Deny.');
  }
  const params = pending.params as unknown as RequestParams;
  if (!(await decidePending(deps.db, pending.id, input.decision, input.userId))) {
    // A double submit of the same form: the first decision stands.
    return;
  }
  if (input.decision === 'deny') {
    await audit(deps, 'consent.denied', {
      userId: input.userId,
      clientId: pending.clientId,
      origin: input.origin,
    });
    return;
  }
  const now = deps.clock.now();
  let grant = await findActiveGrant(deps.db, input.userId, pending.clientId);
  if (grant && (grant.scope !== params.scope || grant.resource !== params.resource)) {
    // One active grant per (user, client): a consent to another scope replaces the old grant.
    await revokeGrant(deps.db, grant.id, 'replaced', now);
    grant = undefined;
  }
  if (!grant) {
    const client = await findClient(deps.db, pending.clientId);
    try {
      grant = await deps.db.transaction().execute(async (trx) => {
        const created = await insertGrant(trx, {
          id: newId('grt', now),
          userId: input.userId,
          clientId: pending.clientId,
          scope: params.scope,
          resource: params.resource,
          createdAt: now,
        });
        // "A new app was connected to your account" commits with the grant it describes.
        await publish(deps, trx, {
          type: 'connected_app.authorized',
          id: newEventId(deps),
          at: now,
          workspaceId: null,
          userId: input.userId,
          clientId: pending.clientId,
          clientName: client?.name ?? pending.clientId,
          ip: input.origin.ip ?? null,
          userAgent: input.origin.userAgent?.slice(0, 300) ?? null,
        });
        return created;
      });
      deps.wakeDeliveries();
    } catch (error) {
      // Two consents racing (two tabs): the unique index keeps one active grant; use it.
      grant = await findActiveGrant(deps.db, input.userId, pending.clientId);
      if (!grant) throw error;
    }
  }
  await audit(deps, 'consent.granted', {
    userId: input.userId,
    clientId: pending.clientId,
    grantId: grant.id,
    origin: input.origin,
    detail: { scope: params.scope },
  });
}
