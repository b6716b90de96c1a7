import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isValidCodeChallenge,
  isValidCodeVerifier,
  s256Challenge,
  verifyS256,
} from '../../src/domain/oauth/pkce.ts';

// RFC 7636 Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE', () => {
  it('S6: computes the RFC 7636 Appendix B challenge', () => {
    expect(s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });

  it.each([
    ['43 characters', 'a'.repeat(43)],
    ['128 characters', 'a'.repeat(128)],
    ['every unreserved character', `AZaz09-._~${'x'.repeat(33)}`],
    ['the RFC example', RFC_VERIFIER],
  ])('S7: accepts a verifier of %s', (_label, verifier) => {
    expect(isValidCodeVerifier(verifier)).toBe(true);
  });

  it.each([
    ['42 characters', 'a'.repeat(42)],
    ['129 characters', 'a'.repeat(129)],
    ['an empty string', ''],
    ['a space', `${'a'.repeat(42)} `],
    ['a plus sign', `${'a'.repeat(42)}+`],
    ['a slash', `${'a'.repeat(42)}/`],
    ['padding', `${'a'.repeat(42)}=`],
    ['a non-ASCII letter', `${'a'.repeat(42)}é`],
    ['a newline', `${'a'.repeat(43)}\n`],
  ])('S7: refuses a verifier with %s', (_label, verifier) => {
    expect(isValidCodeVerifier(verifier)).toBe(false);
  });

  it.each([
    ['the RFC example', RFC_CHALLENGE, true],
    ['42 characters', RFC_CHALLENGE.slice(0, 42), false],
    ['44 characters', `${RFC_CHALLENGE}A`, false],
    ['padding', `${RFC_CHALLENGE.slice(0, 43)}=`, false],
    ['standard base64 characters', `${RFC_CHALLENGE.slice(0, 41)}+/`, false],
    ['an empty string', '', false],
    ['a plain-method style verifier', 'a'.repeat(64), false],
  ])('S6: challenge with %s → %s', (_label, challenge, expected) => {
    expect(isValidCodeChallenge(challenge)).toBe(expected);
  });

  it('S7: verifies a verifier against its S256 challenge', () => {
    expect(verifyS256(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
    const verifier = 'x'.repeat(128);
    expect(verifyS256(verifier, createHash('sha256').update(verifier).digest('base64url'))).toBe(true);
  });

  it.each([
    ['another verifier', `${RFC_VERIFIER.slice(0, -1)}l`, RFC_CHALLENGE],
    ['another challenge', RFC_VERIFIER, `${RFC_CHALLENGE.slice(0, -1)}d`],
    ['the plain method (verifier as challenge)', 'a'.repeat(43), 'a'.repeat(43)],
    ['a malformed verifier that hashes right', 'short', s256Challenge('short')],
    ['an empty verifier', '', RFC_CHALLENGE],
    ['an empty challenge', RFC_VERIFIER, ''],
    ['a challenge with padding', RFC_VERIFIER, `${RFC_CHALLENGE}=`],
  ])('S7: refuses %s', (_label, verifier, challenge) => {
    expect(verifyS256(verifier, challenge)).toBe(false);
  });
});
