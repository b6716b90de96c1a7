import { describe, expect, it } from 'vitest';
import { OAuthError, type OAuthErrorCode } from '../../src/domain/oauth/errors.ts';

describe('OAuthError', () => {
  it.each([
    ['invalid_request', 400],
    ['invalid_client', 401],
    ['invalid_grant', 400],
    ['invalid_scope', 400],
    ['invalid_target', 400],
    ['invalid_redirect_uri', 400],
    ['invalid_client_metadata', 400],
    ['server_error', 500],
    ['temporarily_unavailable', 503],
  ] as [OAuthErrorCode, number][])('%s defaults to status %i', (code, status) => {
    expect(new OAuthError(code, 'x').status).toBe(status);
  });

  it('keeps an explicit status', () => {
    expect(new OAuthError('invalid_client', 'bad secret', 400).status).toBe(400);
  });

  it('serialises to the RFC 6749 §5.2 error body', () => {
    const error = new OAuthError('invalid_grant', 'code expired');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: 'invalid_grant',
      error_description: 'code expired',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('code expired');
    expect(error.name).toBe('OAuthError');
  });
});
