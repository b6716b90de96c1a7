// The errors of the authorization server (ENGINEERING.md habit 1). The HTTP layer renders them:
// an OAuthError as a JSON body (RFC 6749 §5.2, RFC 7591 §3.2.2); at /authorize, a
// RedirectedAuthorizationError as a redirect to a validated redirect_uri (RFC 6749 §4.1.2.1) and a
// LocalAuthorizationError as a local page, when the redirect_uri is not yet trusted (S1).

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_response_type'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata';

/** The HTTP status an error code carries when the caller does not choose one. */
export function defaultOAuthErrorStatus(code: OAuthErrorCode): number {
  switch (code) {
    // RFC 6749 §5.2: a failed client authentication answers 401 (INTEROP item 3: clients re-register on it).
    case 'invalid_client':
      return 401;
    case 'server_error':
      return 500;
    case 'temporarily_unavailable':
      return 503;
    default:
      return 400;
  }
}

/**
 * An OAuth protocol error: a registered error code, a human description, the HTTP status, and for
 * a refusal that passes (a rate limit, an outage) the seconds after which to retry (Retry-After).
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status: number = defaultOAuthErrorStatus(code),
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }

  /** The JSON error body of RFC 6749 §5.2 / RFC 7591 §3.2.2. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** Where the authorization response goes, once the redirect URI is trusted. */
export interface ValidatedRedirect {
  redirectUri: string;
  state?: string;
}

/** A failure before the redirect URI is trusted: shown on our own page, never redirected (S1). */
export class LocalAuthorizationError extends Error {
  override name = 'LocalAuthorizationError';
  constructor(
    readonly title: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A failure after the redirect URI is trusted: sent to the client (RFC 6749 §4.1.2.1) with iss (S34). */
export class RedirectedAuthorizationError extends Error {
  override name = 'RedirectedAuthorizationError';
  constructor(
    readonly redirect: ValidatedRedirect,
    readonly error: OAuthError,
  ) {
    super(error.description);
  }
}
