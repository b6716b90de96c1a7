import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { KeyManager } from './deps.ts';

// JWT access tokens: RFC 9068 profile, signed ES256 (S16), verified strictly (S17).

/** S16: an access token lives at most one hour. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;
/** S17: clock skew tolerated on `exp` (and `iat`/`nbf`). */
export const ACCESS_TOKEN_LEEWAY_SECONDS = 60;
const TOKEN_TYPE = 'at+jwt';

/** The claims of a verified access token. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  grant_id: string;
}

export type InvalidTokenReason =
  | 'malformed'
  | 'unsupported_alg'
  | 'wrong_typ'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim';

/** A token that must be refused; `reason` is for logs and tests, never for the client (RFC 6750 §3.1). */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(
    readonly reason: InvalidTokenReason,
    message: string = reason,
  ) {
    super(message);
  }
}

/** Signs an RFC 9068 access token with the current signing key. */
export async function issueAccessToken(
  keys: KeyManager,
  input: {
    issuer: string;
    subject: string;
    audience: string;
    clientId: string;
    scope: string;
    grantId: string;
    ttlSeconds: number;
    now: number;
  },
): Promise<{ token: string; jti: string; expiresIn: number }> {
  const expiresIn = Math.min(Math.max(1, Math.floor(input.ttlSeconds)), MAX_ACCESS_TOKEN_TTL_SECONDS);
  const { kid, privateKey } = await keys.signingKey();
  const iat = Math.floor(input.now / 1000);
  const jti = randomUUID();
  // RFC 9068 §2.1: typ "at+jwt" keeps the token from being mistaken for an ID token or other JWT.
  const token = await new SignJWT({ client_id: input.clientId, scope: input.scope, grant_id: input.grantId })
    .setProtectedHeader({ alg: 'ES256', typ: TOKEN_TYPE, kid })
    .setIssuer(input.issuer)
    .setSubject(input.subject)
    .setAudience(input.audience)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(privateKey);
  return { token, jti, expiresIn };
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Verifies an access token (S17); throws InvalidTokenError with the reason it was refused. */
export async function verifyAccessToken(
  token: string,
  opts: {
    issuer: string;
    audience: string;
    getKey: (kid: string) => Promise<CryptoKey | undefined>;
    now: number;
  },
): Promise<AccessTokenClaims> {
  // Check the header before any key lookup: alg "none" and HS* (RFC 8725 §3.1, the
  // public-key-as-HMAC-secret confusion) never reach a verifier, and random kids cost nothing.
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (token.split('.').length !== 3) throw new Error('not a JWS compact serialization');
    header = decodeProtectedHeader(token);
  } catch {
    throw new InvalidTokenError('malformed', 'the token is not a signed JWT');
  }
  if (header.alg !== 'ES256')
    throw new InvalidTokenError('unsupported_alg', `alg ${String(header.alg)} is refused`);
  if (typeof header.typ !== 'string' || !/^(application\/)?at\+jwt$/i.test(header.typ)) {
    // RFC 9068 §4: the resource server must check typ is "at+jwt" (or "application/at+jwt").
    throw new InvalidTokenError('wrong_typ', 'typ must be at+jwt');
  }
  if (!isString(header.kid)) throw new InvalidTokenError('unknown_kid', 'the token names no key');
  if (header.crit !== undefined) throw new InvalidTokenError('malformed', 'crit is not supported');
  const key = await opts.getKey(header.kid);
  if (!key) throw new InvalidTokenError('unknown_kid', 'the signing key is unknown');

  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(token, key, {
      algorithms: ['ES256'],
      issuer: opts.issuer,
      audience: opts.audience,
      clockTolerance: ACCESS_TOKEN_LEEWAY_SECONDS,
      // Also refuses an iat in the future (beyond the leeway): S16 caps a token's life at an hour.
      maxTokenAge: MAX_ACCESS_TOKEN_TTL_SECONDS,
      currentDate: new Date(opts.now),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    });
    payload = result.payload;
  } catch (error) {
    throw mapJoseError(error);
  }

  const { iss, sub, aud, client_id, scope, jti, iat, exp, grant_id } = payload;
  // One audience only: RFC 9068 §3 allows an array, but we issue one resource per token.
  const audience = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
  if (
    !isString(iss) ||
    !isString(sub) ||
    !isString(audience) ||
    !isString(client_id) ||
    typeof scope !== 'string' ||
    !isString(jti) ||
    !isString(grant_id) ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    throw new InvalidTokenError('missing_claim', 'the token lacks a required claim');
  }
  if (exp - iat > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    throw new InvalidTokenError('expired', 'the token claims a lifetime over one hour (S16)');
  }
  return { iss, sub, aud: audience, client_id, scope, jti, iat, exp, grant_id };
}

function mapJoseError(error: unknown): InvalidTokenError {
  if (error instanceof joseErrors.JWTExpired)
    return new InvalidTokenError('expired', 'the token has expired');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError('bad_signature', 'the signature does not verify');
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new InvalidTokenError('unsupported_alg', 'alg refused');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new InvalidTokenError('wrong_issuer', 'unexpected iss');
    if (error.claim === 'aud') return new InvalidTokenError('wrong_audience', 'unexpected aud');
    if (error.claim === 'nbf' || error.claim === 'iat') {
      return new InvalidTokenError('not_yet_valid', 'the token is not valid yet');
    }
    return new InvalidTokenError('missing_claim', `claim ${error.claim} is invalid`);
  }
  return new InvalidTokenError('malformed', 'the token could not be verified');
}
