import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../../lib/crypto.ts';

// PKCE with S256 only (RFC 7636, OAuth 2.1 §4.1.1, S6/S7). Pure: hashing is not I/O.

// RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
// RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(verifier)) without padding: 32 bytes → 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Whether `v` is a syntactically valid code_verifier (RFC 7636 §4.1). */
export function isValidCodeVerifier(v: string): boolean {
  return typeof v === 'string' && VERIFIER.test(v);
}

/** Whether `c` has the shape of an S256 code_challenge: 43 base64url characters (RFC 7636 §4.2). */
export function isValidCodeChallenge(c: string): boolean {
  return typeof c === 'string' && S256_CHALLENGE.test(c);
}

/** The S256 code_challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Whether `verifier` is well formed and hashes to `challenge`, compared in constant time (RFC 7636 §4.6). */
export function verifyS256(verifier: string, challenge: string): boolean {
  if (!isValidCodeVerifier(verifier) || !isValidCodeChallenge(challenge)) return false;
  return constantTimeEqual(s256Challenge(verifier), challenge);
}
