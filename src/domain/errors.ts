// One error type for the REST API and pages; the HTTP layer renders it in one place.

export type ApiErrorCode =
  | 'API_KEY_REQUIRED'
  | 'API_KEY_INVALID'
  | 'API_KEY_EXPIRED'
  | 'API_KEY_DISABLED'
  | 'API_KEY_LIMIT_REACHED'
  | 'NOT_A_MEMBER'
  | 'FORBIDDEN'
  | 'LINK_DELETE_FORBIDDEN'
  | 'RECORDING_DELETE_FORBIDDEN'
  | 'LINK_RESTORE_FORBIDDEN'
  | 'RECORDING_RESTORE_FORBIDDEN'
  | 'RECORDING_WORKSPACE_MISMATCH'
  | 'PLAN_LIMIT_EXCEEDED'
  | 'NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'WORKSPACE_NOT_FOUND'
  | 'PROJECT_NOT_FOUND'
  | 'LINK_NOT_FOUND'
  | 'RECORDING_NOT_FOUND'
  | 'DOMAIN_NOT_FOUND'
  | 'API_KEY_NOT_FOUND'
  | 'MEMBER_NOT_FOUND'
  | 'INVITATION_NOT_FOUND'
  | 'WEBHOOK_NOT_FOUND'
  | 'DELIVERY_NOT_FOUND'
  | 'LINK_DEFAULT_PROJECT_NOT_FOUND'
  | 'WORKSPACE_GONE'
  | 'PROJECT_GONE'
  | 'LINK_GONE'
  | 'RECORDING_GONE'
  | 'DOMAIN_GONE'
  | 'WEBHOOK_GONE'
  | 'LINK_PROJECT_DELETED'
  | 'INVITATION_EXPIRED'
  | 'RECORDING_EXPIRED'
  | 'VALIDATION_FAILED'
  | 'WORKSPACE_SEARCH_TERM_REQUIRED'
  | 'WORKSPACE_SEARCH_TYPE_INVALID'
  | 'DOMAIN_NOT_VERIFIED'
  | 'DOMAIN_VERIFICATION_FAILED'
  | 'EMAIL_TAKEN'
  | 'CONFLICT'
  | 'LINK_NOT_DELETED'
  | 'RECORDING_NOT_DELETED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'UPLOAD_TOKEN_REQUIRED'
  | 'UPLOAD_TOKEN_INVALID'
  | 'UPLOAD_TOKEN_EXPIRED'
  | 'UPLOAD_TOKEN_MISMATCH'
  | 'ORIGIN_NOT_ALLOWED'
  | 'LINK_ALREADY_RECORDED'
  | 'RECORDING_NOT_PENDING'
  | 'VIDEO_INCOMPLETE'
  | 'VIDEO_UPLOAD_EXISTS'
  | 'INTERNAL_ERROR';

/** A failure a caller can act on: HTTP status, stable code, human message, and the field at fault. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503,
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** 400 VALIDATION_FAILED naming the field. */
export function validationError(field: string, message: string): ApiError {
  return new ApiError(400, 'VALIDATION_FAILED', `${field}: ${message}`, field);
}

/**
 * The database cannot be reached right now (connection refused, dropped or timed out). Raised by the
 * store in place of the driver's error, so every surface can answer "try again shortly" (503) instead
 * of a 500, and the fault is logged once per outage rather than once per request.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(cause: unknown) {
    super('The database is not reachable right now', { cause });
  }
}

/** Seconds a client is told to wait (`Retry-After`) while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
