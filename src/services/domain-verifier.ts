import {
  normalizeDomainUrl,
  siteRootUrl,
  VERIFICATION_FILE_PATH,
  VERIFICATION_META_NAME,
  verificationFileUrl,
  verificationTokenFound,
} from '../domain/domain-verification.ts';
import { SafeFetchError, type SafeFetchResponse, safeFetch } from '../lib/safe-fetch.ts';

export type DomainVerificationResult = { ok: true; method: 'file' | 'html' } | { ok: false; reason: string };

export interface DomainVerifier {
  /** Looks for the token on the site; never throws, a failure carries a reason fit to show the user. */
  verify(host: string, token: string): Promise<DomainVerificationResult>;
}

export interface DomainVerifierOptions {
  /** Development only: allow sites on private or loopback addresses. */
  allowPrivateAddresses: boolean;
  /** Budget per fetch (file, then site root); default 5 s. */
  timeoutMs?: number;
  /** 'http' exists only so tests can verify against a local server. */
  scheme?: 'https' | 'http';
}

// A verification file is a line or two; the meta tag sits in <head>, so the first 64 KiB of a
// (possibly much larger) home page is enough to find it.
const MAX_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;

type Attempt = { found: true } | { found: false; reason: string; sameForWholeHost: boolean };

/** Builds the verifier that fetches a domain's verification file or home page through safeFetch. */
export function createDomainVerifier(opts: DomainVerifierOptions): DomainVerifier {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const scheme = opts.scheme ?? 'https';

  async function attempt(url: string, token: string, kind: 'file' | 'html'): Promise<Attempt> {
    let response: SafeFetchResponse;
    try {
      response = await safeFetch(url, {
        maxBytes: MAX_BYTES,
        timeoutMs,
        allowPrivateAddresses: opts.allowPrivateAddresses,
        // A home page larger than the limit may still carry the tag in its <head>.
        onOversize: kind === 'html' ? 'truncate' : 'throw',
        headers: { accept: kind === 'html' ? 'text/html,*/*;q=0.8' : 'text/plain,*/*;q=0.8' },
      });
    } catch (error) {
      return { found: false, ...describeFetchError(url, error) };
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.location;
      const to = location ? ` to ${location}` : '';
      return {
        found: false,
        reason: `${url} answered with a redirect (HTTP ${response.status}${to}); redirects are not followed`,
        sameForWholeHost: false,
      };
    }
    if (response.status < 200 || response.status >= 300) {
      return { found: false, reason: `${url} answered HTTP ${response.status}`, sameForWholeHost: false };
    }
    if (verificationTokenFound(response.body.toString('utf8'), token, kind)) return { found: true };
    const missing =
      kind === 'file'
        ? `${url} does not contain the verification token`
        : `${url} has no <meta name="${VERIFICATION_META_NAME}" content="…"> tag with the verification token`;
    return { found: false, reason: missing, sameForWholeHost: false };
  }

  return {
    async verify(host, token) {
      try {
        const normalized = normalizeDomainUrl(host);
        if (normalized === null)
          return { ok: false, reason: `${JSON.stringify(host)} is not a valid domain` };
        if (token === '') return { ok: false, reason: 'No verification token was given' };

        const file = await attempt(verificationFileUrl(normalized, scheme), token, 'file');
        if (file.found) return { ok: true, method: 'file' };
        // DNS failures and blocked addresses would repeat for the site root, so say it once.
        if (file.sameForWholeHost) return { ok: false, reason: file.reason };

        const html = await attempt(siteRootUrl(normalized, scheme), token, 'html');
        if (html.found) return { ok: true, method: 'html' };
        return {
          ok: false,
          reason:
            `Verification token not found. Put it in ${VERIFICATION_FILE_PATH} or in a ` +
            `<meta name="${VERIFICATION_META_NAME}"> tag on the home page. (${file.reason}; ${html.reason})`,
        };
      } catch (error) {
        // verify() is documented never to throw; anything unexpected still becomes a reason.
        return { ok: false, reason: `Verification failed unexpectedly: ${(error as Error).message}` };
      }
    },
  };
}

function describeFetchError(url: string, error: unknown): { reason: string; sameForWholeHost: boolean } {
  if (!(error instanceof SafeFetchError)) {
    return { reason: `Could not fetch ${url}: ${(error as Error).message}`, sameForWholeHost: false };
  }
  switch (error.reason) {
    case 'blocked_address':
      return {
        reason: `${new URL(url).host} points to a private, loopback or otherwise non-public address, which is never fetched`,
        sameForWholeHost: true,
      };
    case 'dns_failed':
      return { reason: `${new URL(url).hostname} could not be resolved in DNS`, sameForWholeHost: true };
    case 'invalid_url':
      return { reason: `${url} is not a URL that can be fetched`, sameForWholeHost: true };
    case 'timeout':
      return { reason: `${url} did not answer in time`, sameForWholeHost: false };
    case 'too_large':
      return { reason: `${url} is larger than ${MAX_BYTES / 1024} KiB`, sameForWholeHost: false };
    case 'network':
      // The cause holds the socket-level detail (ECONNREFUSED, a TLS certificate error …).
      return {
        reason: `Could not fetch ${url}: ${error.cause instanceof Error ? error.cause.message : error.message}`,
        sameForWholeHost: false,
      };
  }
}
