import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signFilePath, verifyFilePath } from '../../src/lib/signed-url.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const PATH = '/files/rec_abc/video.webm';
const NOW = 1_700_000_000;
const EXP = NOW + 300;

// Splits a signed path back into the pieces the route hands to verifyFilePath.
function parts(signed: string): { path: string; exp: string; sig: string } {
  const url = new URL(signed, 'http://x');
  return {
    path: url.pathname,
    exp: url.searchParams.get('exp') ?? '',
    sig: url.searchParams.get('sig') ?? '',
  };
}

describe('signFilePath', () => {
  it('returns the path with exp and a base64url SHA-256 MAC', () => {
    const signed = signFilePath(SECRET, PATH, EXP);
    expect(signed).toMatch(/^\/files\/rec_abc\/video\.webm\?exp=1700000300&sig=[A-Za-z0-9_-]{43}$/);
  });

  it('is deterministic and gives the same signature for a string secret and its bytes', () => {
    expect(signFilePath(SECRET, PATH, EXP)).toBe(signFilePath(SECRET, PATH, EXP));
    expect(signFilePath(Buffer.from(SECRET, 'utf8'), PATH, EXP)).toBe(signFilePath(SECRET, PATH, EXP));
  });

  it('refuses paths a client would send differently or that leave the directory', () => {
    for (const bad of [
      'files/rec_abc/video.webm',
      '/files/../secret.txt',
      '/files/rec_abc/%2e%2e/secret.txt',
      '/files/rec_abc\\video.webm',
      '/files/rec abc/video.webm',
      '/files/rec_abc/video.webm?x=1',
      '/files/rec_abc/video.webm#x',
    ]) {
      expect(() => signFilePath(SECRET, bad, EXP), bad).toThrow(TypeError);
    }
  });

  it('refuses an expiry that is not a non-negative integer, and an empty secret', () => {
    expect(() => signFilePath(SECRET, PATH, 1.5)).toThrow(TypeError);
    expect(() => signFilePath(SECRET, PATH, -1)).toThrow(TypeError);
    expect(() => signFilePath(SECRET, PATH, Number.NaN)).toThrow(TypeError);
    expect(() => signFilePath('', PATH, EXP)).toThrow(TypeError);
  });
});

describe('verifyFilePath', () => {
  const { path, exp, sig } = parts(signFilePath(SECRET, PATH, EXP));

  it('accepts a signed path before it expires', () => {
    expect(verifyFilePath(SECRET, path, exp, sig, NOW)).toBe('ok');
    expect(verifyFilePath(SECRET, path, exp, sig, EXP - 1)).toBe('ok');
  });

  it('reports expired from the expiry second on', () => {
    expect(verifyFilePath(SECRET, path, exp, sig, EXP)).toBe('expired');
    expect(verifyFilePath(SECRET, path, exp, sig, EXP + 3600)).toBe('expired');
  });

  it('rejects a tampered path, exp or signature', () => {
    expect(verifyFilePath(SECRET, '/files/rec_abc/thumbnail.png', exp, sig, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, '/files/rec_abd/video.webm', exp, sig, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, String(EXP + 1), sig, NOW)).toBe('invalid');
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(verifyFilePath(SECRET, path, exp, flipped, NOW)).toBe('invalid');
  });

  it('rejects a signature made with another secret', () => {
    const other = parts(signFilePath('another-secret-0123456789abcdef0123456789', PATH, EXP));
    expect(verifyFilePath(SECRET, path, other.exp, other.sig, NOW)).toBe('invalid');
  });

  it('rejects a MAC keyed with the raw secret (the files key is domain-separated)', () => {
    const raw = createHmac('sha256', SECRET).update(`${exp}\n${path}`).digest('base64url');
    expect(verifyFilePath(SECRET, path, exp, raw, NOW)).toBe('invalid');
  });

  it('rejects missing or malformed exp and sig', () => {
    expect(verifyFilePath(SECRET, path, undefined, sig, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, exp, undefined, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, undefined, undefined, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, '', sig, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, exp, '', NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, ` ${exp}`, sig, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, '1.7e9', sig, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, exp, `${sig}=`, NOW)).toBe('invalid');
    expect(verifyFilePath(SECRET, path, exp, sig.slice(0, -1), NOW)).toBe('invalid');
  });

  it('rejects a non-canonical encoding of the right MAC', () => {
    // The last of 43 base64url characters carries two spare bits; flipping the lowest one decodes
    // to the same 32 bytes but is a different string.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1) ?? '');
    const twin = `${sig.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    expect(verifyFilePath(SECRET, path, exp, twin, NOW)).toBe('invalid');
  });

  it('says invalid, not expired, for a forged URL past its expiry', () => {
    expect(verifyFilePath(SECRET, path, String(EXP + 1), sig, EXP + 10)).toBe('invalid');
  });
});
