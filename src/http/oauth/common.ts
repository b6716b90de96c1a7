import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '../../domain/errors.ts';
import { OAuthError } from '../../domain/oauth/errors.ts';
import { parameterProblem } from '../../domain/oauth/parameters.ts';
import type { PresentedClientCredentials } from '../../services/oauth/clients.ts';

/** Form bodies of the token, revocation endpoints are small; anything bigger is refused (S38). */
export const MAX_FORM_BYTES = 16 * 1024;

/**
 * The error handler of the authorization server's JSON endpoints (registration, token, revocation),
 * installed once by createOAuthEndpoints: OAuth errors as RFC 6749 §5.2 bodies, `no-store`,
 * `WWW-Authenticate` for a failed client authentication, Retry-After for a refusal that passes; an
 * unreachable database as `temporarily_unavailable` (503, Retry-After) so clients retry instead of
 * dropping their tokens; anything else is rethrown to the generic handler.
 */
export function renderOAuthError(error: Error, c: Context): Response {
  const oauth =
    error instanceof DatabaseUnavailableError
      ? new OAuthError(
          'temporarily_unavailable',
          'The authorization server is briefly unavailable; try again shortly',
          503,
          DATABASE_RETRY_AFTER_SECONDS,
        )
      : error;
  if (!(oauth instanceof OAuthError)) throw error;
  if (oauth.retryAfterSeconds !== undefined) c.header('Retry-After', String(oauth.retryAfterSeconds));
  c.header('Cache-Control', 'no-store');
  if (oauth.status === 401) c.header('WWW-Authenticate', 'Basic realm="userplane", error="invalid_client"');
  return c.json(oauth.toJSON(), oauth.status as 400);
}

/**
 * CORS for the endpoints browser-based clients call directly (INTEROP item 10): any origin, no
 * cookies, so a page cannot ride on the user's session.
 */
export function oauthCors(): MiddlewareHandler {
  return cors({
    origin: '*',
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'MCP-Protocol-Version'],
    exposeHeaders: ['WWW-Authenticate', 'Retry-After'],
    maxAge: 600,
  });
}

/**
 * Reads an application/x-www-form-urlencoded body (RFC 6749 §3.2) within MAX_FORM_BYTES. Repeated
 * parameters are refused (RFC 6749 §3.1), except `resource`, which RFC 8707 allows more than once.
 */
export async function readForm(c: Context): Promise<Record<string, string | string[]>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  }
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_FORM_BYTES)
    throw new OAuthError('invalid_request', 'The request body is too large');
  const form: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    // Every parameter, once, before anything reaches the database (S38, domain/oauth/parameters.ts).
    const problem = parameterProblem(key, value);
    if (problem) throw new OAuthError('invalid_request', problem);
    const existing = form[key];
    if (existing === undefined) form[key] = value;
    else if (key === 'resource') form[key] = [...(Array.isArray(existing) ? existing : [existing]), value];
    else throw new OAuthError('invalid_request', `${key} must not be repeated`);
  }
  return form;
}

/** A single string parameter of a form. */
export function formString(form: Record<string, string | string[]>, name: string): string | undefined {
  const value = form[name];
  if (Array.isArray(value)) throw new OAuthError('invalid_request', `${name} must not be repeated`);
  return value;
}

/**
 * The client credentials a request presents (RFC 6749 §2.3.1): HTTP Basic, or client_id (+
 * client_secret) in the body. Using both is refused.
 */
export function presentedCredentials(
  c: Context,
  form: Record<string, string | string[]>,
): PresentedClientCredentials {
  const header = c.req.header('authorization');
  const bodyId = formString(form, 'client_id');
  const bodySecret = formString(form, 'client_secret');
  if (header?.toLowerCase().startsWith('basic ')) {
    if (bodySecret) throw new OAuthError('invalid_request', 'Use one client authentication method, not two');
    let decoded: string;
    try {
      decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    } catch {
      throw new OAuthError('invalid_client', 'Malformed Basic credentials');
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials');
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      // A stray "%" is a malformed credential, not a server error.
      throw new OAuthError('invalid_client', 'Malformed Basic credentials');
    }
    // The same rule as the form's parameters (readForm): the id is looked up in the database.
    for (const [name, value] of [
      ['client_id', clientId],
      ['client_secret', clientSecret],
    ] as const) {
      const problem = parameterProblem(name, value);
      if (problem) throw new OAuthError('invalid_request', problem);
    }
    if (bodyId && bodyId !== clientId)
      throw new OAuthError('invalid_client', 'client_id differs from the Basic credentials');
    return { clientId, clientSecret, method: 'client_secret_basic' };
  }
  if (bodySecret) return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' };
  return { clientId: bodyId, method: 'none' };
}
