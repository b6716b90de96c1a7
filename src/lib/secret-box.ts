import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Authenticated encryption of small secrets at rest (private signing keys, grace-window token
// pairs) under a key derived from USERPLANE_SECRET (S37). Each use passes its own label, so a value
// sealed for one purpose can never be opened as another (HKDF "info", RFC 5869 §3.2).

const VERSION = 'v1';
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const TAG_BYTES = 16;
const SALT = 'userplane/secret-box/v1';

/** Sealed text that is malformed, tampered with, or sealed under another secret or label. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

// HKDF is cheap but not free; the same few (secret, label) pairs are used for the process's life.
// Labels are fixed strings in our code, so the cache never holds more than a handful; the cap keeps a
// caller that passes varying labels (or secrets) from growing it.
/** Derived keys kept at most; beyond that the cache starts over. */
export const KEY_CACHE_MAX_ENTRIES = 32;
const keyCache = new Map<string, Buffer>();

/** How many derived keys are cached (tests check the cap). */
export function cachedKeyCount(): number {
  return keyCache.size;
}

function deriveKey(secret: string, label: string): Buffer {
  if (secret.length === 0) throw new SecretBoxError('secret-box needs a non-empty secret');
  if (label.length === 0) throw new SecretBoxError('secret-box needs a label');
  const cacheKey = `${secret.length}:${secret}\u0000${label}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, SALT, `userplane:${label}`, 32));
    if (keyCache.size >= KEY_CACHE_MAX_ENTRIES) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** Encrypts `plaintext` with AES-256-GCM under a key derived from `secret` and `label`. */
export function sealString(secret: string, label: string, plaintext: string): string {
  const key = deriveKey(secret, label);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  // The version and label are authenticated too, so a sealed value cannot be relabelled.
  cipher.setAAD(Buffer.from(`${VERSION}:${label}`));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    VERSION,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

/** Decrypts a value made by sealString with the same secret and label; throws SecretBoxError otherwise. */
export function openString(secret: string, label: string, sealed: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION)
    throw new SecretBoxError('sealed value has an unknown format');
  const [, ivText, ciphertextText, tagText] = parts as [string, string, string, string];
  const iv = Buffer.from(ivText, 'base64url');
  const ciphertext = Buffer.from(ciphertextText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
    throw new SecretBoxError('sealed value is malformed');
  const key = deriveKey(secret, label);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${VERSION}:${label}`));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('sealed value failed authentication');
  }
}
