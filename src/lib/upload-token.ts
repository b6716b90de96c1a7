import { constantTimeEqual, hmacBase64Url } from './crypto.ts';

// Upload tokens: bearer credentials for one recording's upload, handed out when a customer starts a
// recording (a public page has no account). Stateless — `upt_<recordingId>.<expiry s>.<HMAC>` under
// the server secret — so a chunk of a resumable upload costs no database lookup to authenticate,
// and any instance sharing USERPLANE_SECRET accepts it. A token only ever writes to its own
// recording while that recording is pending, so there is nothing to revoke after it is finished.

const PREFIX = 'upt_';
const SHAPE = /^upt_(rec_[0-9a-hjkmnp-tv-z]{26})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A fresh token for `recordingId`, valid until `expiresAtSec` (epoch seconds). */
export function signUploadToken(secret: string | Buffer, recordingId: string, expiresAtSec: number): string {
  const body = `${recordingId}.${expiresAtSec}`;
  return `${PREFIX}${body}.${hmacBase64Url(secret, `upload-token:${body}`)}`;
}

/** What a token says, when it is well-formed and signed by us; `expired` past its time. */
export type UploadTokenCheck =
  | { ok: true; recordingId: string; expiresAtSec: number }
  | { ok: false; reason: 'invalid' | 'expired' };

/** Checks a presented token's shape, signature (constant time) and expiry. */
export function verifyUploadToken(secret: string | Buffer, token: string, nowMs: number): UploadTokenCheck {
  const match = SHAPE.exec(token);
  if (!match) return { ok: false, reason: 'invalid' };
  const [, recordingId, exp, mac] = match as unknown as [string, string, string, string];
  if (!constantTimeEqual(mac, hmacBase64Url(secret, `upload-token:${recordingId}.${exp}`))) {
    return { ok: false, reason: 'invalid' };
  }
  const expiresAtSec = Number(exp);
  if (expiresAtSec * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, recordingId, expiresAtSec };
}
