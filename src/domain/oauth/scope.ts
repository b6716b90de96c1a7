import { OAuthError } from './errors.ts';

// Scopes (RFC 6749 §3.3). We have exactly one: mcp:tools.

export const SUPPORTED_SCOPES = ['mcp:tools'] as const;
export type SupportedScope = (typeof SUPPORTED_SCOPES)[number];

/** Splits a space-delimited scope string into its distinct values, in order (RFC 6749 §3.3). */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return [...new Set(scope.split(' ').filter((value) => value !== ''))];
}

/**
 * The scope granted for an authorization request: always `mcp:tools`. Values we do not know
 * (`claudeai`, `openid`, `offline_access`, `read write` …) are dropped instead of failing the
 * request (INTEROP item 6; RFC 6749 §3.3 lets the server grant a different scope than requested).
 */
export function grantedScope(_requested: string | undefined): string {
  return SUPPORTED_SCOPES.join(' ');
}

/**
 * The scope of a refreshed token. An omitted (or empty) scope keeps the granted one (RFC 6749 §6,
 * INTEROP item 7); otherwise every requested value must be in the grant, else `invalid_scope` (S15).
 */
export function refreshScope(requested: string | undefined, granted: string): string {
  const wanted = parseScope(requested);
  const grant = parseScope(granted);
  if (wanted.length === 0) return grant.join(' ');
  const outside = wanted.filter((value) => !grant.includes(value));
  if (outside.length > 0) {
    throw new OAuthError('invalid_scope', `scope not in the original grant: ${clip(outside.join(' '))}`);
  }
  // A narrower scope is allowed (RFC 6749 §6); keep the grant's order so equal requests give equal strings.
  return grant.filter((value) => wanted.includes(value)).join(' ');
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
