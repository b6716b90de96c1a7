import { describe, expect, it } from 'vitest';
import { openString, SecretBoxError, sealString } from '../../src/lib/secret-box.ts';

const secret = 'unit-secret-unit-secret-unit-secret-0123456789';

/** Flips one bit of the base64url segment `index` of a sealed value. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('secret box (AES-256-GCM under an HKDF-derived key)', () => {
  it('S37: round-trips text and never shows the plaintext', () => {
    const plaintext = JSON.stringify({ kty: 'EC', d: 'private-scalar', note: 'ünïcødé ✓' });
    const sealed = sealString(secret, 'signing-keys', plaintext);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain('private-scalar');
    expect(openString(secret, 'signing-keys', sealed)).toBe(plaintext);
    expect(openString(secret, 'x', sealString(secret, 'x', ''))).toBe('');
  });

  it('S37: uses a fresh IV each time, so equal plaintexts give different ciphertexts', () => {
    const a = sealString(secret, 'signing-keys', 'same');
    const b = sealString(secret, 'signing-keys', 'same');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('S37: refuses a tampered IV, ciphertext or tag', () => {
    const sealed = sealString(secret, 'signing-keys', 'a private key');
    for (const index of [1, 2, 3]) {
      expect(() => openString(secret, 'signing-keys', flip(sealed, index))).toThrow(SecretBoxError);
    }
  });

  it('S37: refuses another label (domain separation) and another secret', () => {
    const sealed = sealString(secret, 'signing-keys', 'a private key');
    expect(() => openString(secret, 'refresh-grace', sealed)).toThrow(SecretBoxError);
    expect(() => openString(`${secret}x`, 'signing-keys', sealed)).toThrow(SecretBoxError);
  });

  it('refuses malformed input: wrong version, missing parts, truncated tag', () => {
    const sealed = sealString(secret, 'signing-keys', 'text');
    const [, iv, ct, tag] = sealed.split('.');
    expect(() => openString(secret, 'signing-keys', `v2.${iv}.${ct}.${tag}`)).toThrow(SecretBoxError);
    expect(() => openString(secret, 'signing-keys', `v1.${iv}.${ct}`)).toThrow(SecretBoxError);
    expect(() => openString(secret, 'signing-keys', `v1.${iv}.${ct}.${tag!.slice(0, 10)}`)).toThrow(
      SecretBoxError,
    );
    expect(() => openString(secret, 'signing-keys', '')).toThrow(SecretBoxError);
  });
});
