// The one error type of the authorization server (ENGINEERING.md habit 1). The HTTP layer renders it:
// as a JSON body (RFC 6749 §5.2, RFC 7591 §3.2.2), as a redirect to a validated redirect_uri
// (RFC 6749 §4.1.2.1), or as a local page when the redirect_uri is not yet trusted (S1).

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

/** An OAuth protocol error: a registered error code, a human description, and the HTTP status. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status: number = defaultOAuthErrorStatus(code),
  ) {
    super(description);
  }

  /** The JSON error body of RFC 6749 §5.2 / RFC 7591 §3.2.2. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}
