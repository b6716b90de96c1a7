import { SafeFetchError, safeFetch } from '../../lib/safe-fetch.ts';
import type { Deps } from '../deps.ts';
import type { RecordingSummary, SendOutcome } from './types.ts';

// What the Slack and help-desk senders share: one JSON request through the SSRF guard (issue 10
// §4: 5 s, no redirects, at most 1 KB of the answer kept), failures turned into outcomes whose
// messages never contain the URL (a Slack webhook URL is itself the credential), and the words of
// a "recording received" summary.

/** The whole request's budget, as for webhooks. */
export const PROVIDER_TIMEOUT_MS = 5_000;
/** Of an answer only this much is read and kept. */
export const PROVIDER_MAX_RESPONSE = 1024;

/** An answer, or a failure already phrased for the delivery log. */
export type ProviderResponse =
  | { ok: true; status: number; body: string }
  | { ok: false; outcome: SendOutcome };

/** Sends `body` as JSON to `url`; `what` names the target in errors ("Slack", "Intercom at api.intercom.io"). */
export async function sendJson(
  deps: Deps,
  input: {
    url: string;
    method: 'POST' | 'PUT';
    headers: Record<string, string>;
    body: unknown;
    what: string;
  },
): Promise<ProviderResponse> {
  try {
    const response = await safeFetch(input.url, {
      method: input.method,
      body: JSON.stringify(input.body),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...input.headers },
      maxBytes: PROVIDER_MAX_RESPONSE,
      onOversize: 'truncate',
      timeoutMs: PROVIDER_TIMEOUT_MS,
      allowPrivateAddresses: deps.config.allowPrivateNetworkFetch,
    });
    return { ok: true, status: response.status, body: response.body.toString('utf8') };
  } catch (error) {
    if (!(error instanceof SafeFetchError)) {
      return { ok: false, outcome: { ok: false, retry: true, error: `${input.what}: the request failed` } };
    }
    // SafeFetchError messages quote the URL; say what happened in our own words instead.
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    switch (error.reason) {
      case 'invalid_url':
        return {
          ok: false,
          outcome: { ok: false, retry: false, error: `${input.what}: the URL is not valid` },
        };
      case 'blocked_address':
        return {
          ok: false,
          outcome: {
            ok: false,
            retry: false,
            error: `${input.what}: refused, the host resolves to a private or loopback address`,
          },
        };
      case 'timeout':
        return {
          ok: false,
          outcome: {
            ok: false,
            retry: true,
            error: `${input.what}: no answer within ${PROVIDER_TIMEOUT_MS / 1000} s`,
          },
        };
      case 'dns_failed':
        return {
          ok: false,
          outcome: {
            ok: false,
            retry: true,
            error: `${input.what}: the host name did not resolve${cause ? ` (${cause})` : ''}`,
          },
        };
      default:
        return {
          ok: false,
          outcome: {
            ok: false,
            retry: true,
            error: `${input.what}: the connection failed${cause ? ` (${cause})` : ''}`,
          },
        };
    }
  }
}

/** The host of a URL for messages ("hooks.slack.com"); never the path, which can be the credential. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** Whether a failed answer is worth trying again: rate limits, timeouts, conflicts and server errors. */
export function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** "3 s", "2 min 5 s", "1 h 2 min"; "unknown length" without a duration. */
export function durationText(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return 'unknown length';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "no console errors", "1 console error", "4 console errors". */
export function errorCountText(count: number): string {
  if (count === 0) return 'no console errors';
  return count === 1 ? '1 console error' : `${count} console errors`;
}

/** Cuts customer text to `max` characters, marking the cut. */
export function capText(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** The link's title, or a stand-in naming the link. */
export function linkTitleText(recording: RecordingSummary): string {
  return recording.linkTitle?.trim() ? capText(recording.linkTitle.trim(), 200) : `Link ${recording.linkId}`;
}

/** The first error message of a provider's JSON error answer (Intercom `errors[0].message`, Zendesk `description`/`error`). */
export function providerMessage(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const plain = body.trim();
    return plain.length > 0 && plain.length <= 200 && !plain.startsWith('<') ? plain : null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const p = parsed as Record<string, unknown>;
  const errors = p.errors;
  if (Array.isArray(errors) && errors[0] && typeof errors[0] === 'object') {
    const first = errors[0] as Record<string, unknown>;
    if (typeof first.message === 'string') return capText(first.message, 200);
  }
  for (const key of ['description', 'error', 'message']) {
    const value = p[key];
    if (typeof value === 'string') return capText(value, 200);
    if (value && typeof value === 'object' && typeof (value as Record<string, unknown>).message === 'string')
      return capText((value as Record<string, string>).message!, 200);
  }
  return null;
}
