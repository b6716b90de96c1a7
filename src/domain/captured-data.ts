import type { ActionEntry, ConsoleEntry, NetworkEntry } from './recording-resources.ts';

// Captured customer data is hostile input (strangers' browsers). The embed script masks secrets
// before sending; the server caps every string and masks credentials again, because any client can
// call the upload API and what it stores is shown to the team and to AI clients.

/** Longest text kept per field; longer values are cut and marked. */
export const CAPS = {
  message: 10_000,
  stack: 20_000,
  url: 4_000,
  selector: 300,
  value: 1_000,
  header: 4_000,
  body: 64 * 1024,
  arg: 2_000,
  args: 50,
} as const;

export const REDACTED = '[redacted]';
const TRUNCATED = '…[truncated]';

/** Headers whose values are credentials: never stored, whatever the client sent. */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);

/** Query parameter and JSON key names that look like secrets. */
export const SECRET_NAME =
  /token|passw|pwd|secret|api[-_]?key|^key$|auth|session|^sid$|card|cvv|cvc|ssn|otp|signature|jwt|bearer|credential/i;

/** `text` cut to `max` characters, marked when cut. */
export function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}${TRUNCATED}`;
}

/** A URL with secret-looking query parameters (and any userinfo) replaced by `[redacted]`, capped. */
export function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return cap(raw, CAPS.url);
  }
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
  }
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (SECRET_NAME.test(name)) url.searchParams.set(name, REDACTED);
  }
  return cap(url.toString(), CAPS.url);
}

function maskHeaders(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).slice(0, 100)) {
    out[cap(name, 200)] = CREDENTIAL_HEADERS.has(name.toLowerCase()) ? REDACTED : cap(value, CAPS.header);
  }
  return out;
}

/** A console entry with every string capped. */
export function capConsoleEntry(entry: ConsoleEntry): ConsoleEntry {
  return {
    ts: entry.ts,
    level: entry.level,
    message: cap(entry.message, CAPS.message),
    ...(entry.args
      ? {
          args: entry.args
            .slice(0, CAPS.args)
            .map((arg) => (typeof arg === 'string' ? cap(arg, CAPS.arg) : capJson(arg))),
        }
      : {}),
    ...(entry.stack !== undefined ? { stack: cap(entry.stack, CAPS.stack) } : {}),
  };
}

// A non-string argument is kept only when small once serialized; otherwise its capped text.
function capJson(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length <= CAPS.arg ? value : cap(text, CAPS.arg);
}

/** A network entry with credentials masked and every string capped. */
export function capNetworkEntry(entry: NetworkEntry): NetworkEntry {
  const requestHeaders = maskHeaders(entry.requestHeaders);
  const responseHeaders = maskHeaders(entry.responseHeaders);
  return {
    ts: entry.ts,
    method: entry.method,
    url: maskUrl(entry.url),
    status: entry.status,
    durationMs: entry.durationMs,
    ...(requestHeaders ? { requestHeaders } : {}),
    ...(responseHeaders ? { responseHeaders } : {}),
    ...(entry.requestBody !== undefined ? { requestBody: cap(entry.requestBody, CAPS.body) } : {}),
    ...(entry.responseBody !== undefined ? { responseBody: cap(entry.responseBody, CAPS.body) } : {}),
  };
}

/** An action entry with every string capped and URLs masked. */
export function capActionEntry(entry: ActionEntry): ActionEntry {
  return {
    ts: entry.ts,
    type: entry.type,
    ...(entry.selector !== undefined ? { selector: cap(entry.selector, CAPS.selector) } : {}),
    ...(entry.x !== undefined ? { x: entry.x } : {}),
    ...(entry.y !== undefined ? { y: entry.y } : {}),
    ...(entry.value !== undefined ? { value: cap(entry.value, CAPS.value) } : {}),
    ...(entry.url !== undefined ? { url: maskUrl(entry.url) } : {}),
  };
}
