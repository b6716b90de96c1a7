import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Outcome of checking a signed file URL. */
export type SignedPathCheck = 'ok' | 'expired' | 'invalid';

// The server secret also protects other things (signing-key encryption, sessions…); HKDF with a
// purpose label gives file URLs their own key, so a MAC made for one purpose can never be replayed
// as another (RFC 5869 §3.2, "info").
const FILES_KEY_INFO = 'userplane/files/signed-url/v1';
const SHA256_BYTES = 32;
// A SHA-256 MAC in unpadded base64url.
const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// Whole seconds, no sign, no exponent; 15 digits keeps the number a safe integer.
const EXP_PATTERN = /^\d{1,15}$/;

function filesKey(secret: string | Buffer): Buffer {
  if (secret.length === 0) throw new TypeError('signed-url: the secret must not be empty');
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), FILES_KEY_INFO, SHA256_BYTES));
}

function mac(secret: string | Buffer, path: string, exp: string): string {
  // exp is digits only, so "exp\npath" splits one way: no (path, exp) pair collides with another.
  return createHmac('sha256', filesKey(secret)).update(`${exp}\n${path}`, 'utf8').digest('base64url');
}

// A client sends the path as the WHATWG URL parser writes it (dot segments resolved, `\` turned
// into `/`, some characters escaped). A path that does not survive that round trip would never
// verify on arrival, or would name something other than what was signed, so it is refused here.
function assertSignablePath(path: string): void {
  if (!path.startsWith('/') || path.includes('?') || path.includes('#')) {
    throw new TypeError('signed-url: path must be an absolute URL path without query or fragment');
  }
  if (new URL(path, 'http://signed-url.invalid').pathname !== path) {
    throw new TypeError('signed-url: path must already be in normalised, URL-encoded form');
  }
}

/** Returns `path?exp=<sec>&sig=<base64url>`, a URL path that is valid until `expiresAtSec` (epoch seconds). */
export function signFilePath(secret: string | Buffer, path: string, expiresAtSec: number): string {
  assertSignablePath(path);
  if (!Number.isSafeInteger(expiresAtSec) || expiresAtSec < 0) {
    throw new TypeError('signed-url: expiresAtSec must be a non-negative integer (epoch seconds)');
  }
  const exp = String(expiresAtSec);
  return `${path}?exp=${exp}&sig=${mac(secret, path, exp)}`;
}

/** Checks the `exp` and `sig` query values of a signed path against the secret at time `nowSec`. */
export function verifyFilePath(
  secret: string | Buffer,
  path: string,
  exp: string | undefined,
  sig: string | undefined,
  nowSec: number,
): SignedPathCheck {
  if (exp === undefined || sig === undefined) return 'invalid';
  if (!EXP_PATTERN.test(exp) || !SIG_PATTERN.test(sig)) return 'invalid';
  // Compare the text, not the decoded bytes: base64url's last character carries spare bits, so
  // several strings decode to the same MAC and only the canonical one should pass.
  const given = Buffer.from(sig, 'utf8');
  const expected = Buffer.from(mac(secret, path, exp), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  // The signature is checked first so that an expired URL tells nothing about forged ones. Like a
  // JWT `exp` (RFC 7519 §4.1.4), the URL is dead from that second on.
  if (nowSec >= Number(exp)) return 'expired';
  return 'ok';
}
