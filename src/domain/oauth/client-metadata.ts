import { textProblem } from '../text-rules.ts';
import { OAuthError } from './errors.ts';
import { checkRedirectUriForRegistration } from './redirect-uri.ts';

// Client metadata: dynamic registration requests (RFC 7591 §2, S23) and Client ID Metadata Documents
// (draft-ietf-oauth-client-id-metadata-document, S25), plus the reserved-name rule (S26). Pure: the
// fetching, size limits on the wire and storage live in services and http.

/** Largest DCR request body we read (S23). */
export const MAX_REGISTRATION_BODY_BYTES = 16 * 1024;
/** Largest Client ID Metadata Document we read (S25). */
export const MAX_METADATA_DOCUMENT_BYTES = 5 * 1024;
/** Most redirect URIs one client may register (S23). */
export const MAX_REDIRECT_URIS = 10;
/** Longest client_name (S23). */
export const MAX_CLIENT_NAME_LENGTH = 100;
/** The name shown for a DCR client that gives none (RFC 7591 §2: client_name is optional). */
export const DEFAULT_CLIENT_NAME = 'Unnamed client';

const MAX_URI_LENGTH = 2000;
const MAX_SHORT_STRING = 200;
const MAX_SCOPE_LENGTH = 1000;

export type TokenEndpointAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_post',
  'client_secret_basic',
];
const GRANT_TYPES = ['authorization_code', 'refresh_token'];
const RESPONSE_TYPES = ['code'];

export type ClientMetadata = {
  client_name: string;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: string[];
  logo_uri?: string;
  client_uri?: string;
  application_type?: 'web' | 'native';
  software_id?: string;
  software_version?: string;
  scope?: string;
};

export type MetadataOptions = { allowedSchemes: readonly string[] };

/**
 * Validates an RFC 7591 registration request body and returns the metadata to store (S23). Throws
 * `invalid_redirect_uri` for a bad redirect URI and `invalid_client_metadata` for anything else,
 * naming the field (RFC 7591 §3.2.2). Unknown fields are ignored (RFC 7591 §2).
 */
export function validateRegistrationRequest(body: unknown, opts: MetadataOptions): ClientMetadata {
  const doc = asObject(body, 'the registration request');
  const name = optionalString(doc, 'client_name', MAX_CLIENT_NAME_LENGTH)?.trim();
  return {
    client_name: name === undefined || name === '' ? DEFAULT_CLIENT_NAME : name,
    redirect_uris: redirectUris(doc, opts),
    // RFC 7591 §2: the default is client_secret_basic; INTEROP item 8 gives each client what it asked for.
    token_endpoint_auth_method: authMethod(doc, 'client_secret_basic'),
    ...commonFields(doc),
  };
}

/**
 * Validates a fetched Client ID Metadata Document for the URL it was fetched from (S25): its
 * `client_id` equals that URL exactly, it has `client_name` and `redirect_uris`, carries no secret,
 * and authenticates with `none` (a document is public, so it cannot hold a secret).
 */
export function validateMetadataDocument(
  doc: unknown,
  clientIdUrl: string,
  opts: MetadataOptions,
): ClientMetadata {
  const urlProblem = checkMetadataDocumentUrl(clientIdUrl);
  if (urlProblem !== null) throw metadataError(`client_id ${urlProblem}`);
  const obj = asObject(doc, 'the client metadata document');
  if (obj.client_id !== clientIdUrl) {
    throw metadataError('client_id must equal the URL the document was fetched from, exactly');
  }
  for (const field of ['client_secret', 'client_secret_expires_at']) {
    if (present(obj, field)) throw metadataError(`${field} is not allowed in a client metadata document`);
  }
  const name = optionalString(obj, 'client_name', MAX_CLIENT_NAME_LENGTH)?.trim();
  if (name === undefined || name === '') throw metadataError('client_name is required');
  const method = present(obj, 'token_endpoint_auth_method') ? obj.token_endpoint_auth_method : 'none';
  if (method === 'private_key_jwt') {
    throw metadataError('token_endpoint_auth_method private_key_jwt is not supported; use none');
  }
  if (method !== 'none') throw metadataError('token_endpoint_auth_method must be none');
  return {
    client_name: name,
    redirect_uris: redirectUris(obj, opts),
    token_endpoint_auth_method: 'none',
    ...commonFields(obj),
  };
}

/**
 * Why a URL may not be used as a CIMD client_id, or null when it may (S25): https, a path other
 * than "/", no fragment, no userinfo, no "." or ".." segments, at most 2000 characters.
 */
export function checkMetadataDocumentUrl(url: string): string | null {
  if (typeof url !== 'string' || url === '') return 'must be a non-empty string';
  if (url.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(url) || url.includes('\\')) {
    return 'must be ASCII without spaces, control characters or backslashes';
  }
  if (!/^https:\/\//i.test(url)) return 'must be an https URL';
  if (url.includes('#')) return 'must not contain a fragment';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  const authority = /^https:\/\/([^/?#]*)/i.exec(url)![1]!;
  if (authority === '') return 'must name a host';
  if (authority.includes('@') || parsed.username !== '' || parsed.password !== '') {
    return 'must not contain userinfo';
  }
  // The URL parser resolves dot segments, so look at the path as written, including %2e spellings.
  const rawPath = url.slice(`https://${authority}`.length).split('?')[0]!;
  const segments = rawPath.split('/').slice(1);
  if (segments.some((s) => ['.', '..'].includes(s.replace(/%2e/gi, '.')))) {
    return 'must not contain "." or ".." path segments';
  }
  if (rawPath === '' || rawPath === '/') return 'must have a path';
  // The client_id is compared byte for byte (S25), so the URL we fetch must be the URL as written:
  // no "https:///x" read as host "x", no upper-case host, default port or escapes the parser rewrites.
  if (parsed.href !== url) return `must be written in normalised form (${clip(parsed.href, 200)})`;
  return null;
}

// --- Reserved names (S26) ---------------------------------------------------------------------

// Letters commonly swapped in to dodge a name check: Cyrillic and Greek look-alikes, and the
// digits and letters that read as one another (l/I/1/i, O/0, S/5).
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  с: 'c',
  е: 'e',
  о: 'o',
  р: 'p',
  х: 'x',
  у: 'y',
  і: 'l',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ӏ: 'l',
  һ: 'h',
  α: 'a',
  ο: 'o',
  ρ: 'p',
  ν: 'v',
  τ: 't',
  ι: 'l',
  κ: 'k',
  χ: 'x',
  υ: 'u',
  '0': 'o',
  '1': 'l',
  '5': 's',
  i: 'l',
};

// Each name a client might use to pass for a well-known product, as its skeleton (see skeleton()),
// with the vendor entitled to it.
const RESERVED_NAMES: ReadonlyArray<[string, string]> = [
  ['Claude', 'Anthropic'],
  ['Claude Code', 'Anthropic'],
  ['Claude Desktop', 'Anthropic'],
  ['Anthropic', 'Anthropic'],
  ['Cursor', 'Cursor'],
  ['ChatGPT', 'OpenAI'],
  ['OpenAI', 'OpenAI'],
  ['Codex', 'OpenAI'],
  ['VS Code', 'Microsoft'],
  ['Visual Studio Code', 'Microsoft'],
  ['GitHub Copilot', 'Microsoft'],
  ['Copilot', 'Microsoft'],
];
const RESERVED = new Map(RESERVED_NAMES.map(([name, vendor]) => [skeleton(name), vendor]));
// Look-alike digits split words ("V1sual" → v 1 sual), so look at runs well longer than the names.
const MAX_RUN = 16;

// Vendor domains whose metadata documents we trust to carry the vendor's names (S26).
const VENDOR_DOMAINS: ReadonlyArray<[string, string]> = [
  ['claude.ai', 'Anthropic'],
  ['claude.com', 'Anthropic'],
  ['anthropic.com', 'Anthropic'],
  ['vscode.dev', 'Microsoft'],
  ['chatgpt.com', 'OpenAI'],
  ['openai.com', 'OpenAI'],
  ['cursor.com', 'Cursor'],
];

/** Whether a client name claims to be a well-known client or vendor (S26), ignoring case, spacing, punctuation and look-alike letters. */
export function isReservedClientName(name: string): boolean {
  return claimedVendors(name).size > 0;
}

/** The vendor whose domain serves a CIMD URL (claude.ai → Anthropic, vscode.dev → Microsoft …), or null (S26). */
export function vendorForMetadataUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return null;
  const host = parsed.hostname;
  for (const [domain, vendor] of VENDOR_DOMAINS) {
    if (host === domain || host.endsWith(`.${domain}`)) return vendor;
  }
  return null;
}

/**
 * Why a client may not use `name`, or null: a reserved name is allowed only when the client comes
 * from the verified metadata domain of the vendor it names (S26). DCR clients have no vendor.
 */
export function checkClientName(name: string, vendor: string | null): string | null {
  const claimed = claimedVendors(name);
  if (claimed.size === 0) return null;
  if (vendor !== null && [...claimed].every((v) => v === vendor)) return null;
  const owners = [...claimed].join(' and ');
  return `client_name "${clip(name, 100)}" is reserved for ${owners}; only a client whose metadata document is served from ${owners}'s domain may use it`;
}

// The vendors a name claims: any run of consecutive words whose skeleton is a reserved name, so
// "Chat GPT", "VS-Code", "ClaudeCode" and "Claude for Teams" all count, but "Precursor" does not.
function claimedVendors(name: string): Set<string> {
  const found = new Set<string>();
  if (typeof name !== 'string') return found;
  const parts = words(name);
  for (let start = 0; start < parts.length; start++) {
    let joined = '';
    for (let end = start; end < parts.length && end - start < MAX_RUN; end++) {
      joined += parts[end];
      const vendor = RESERVED.get(skeleton(joined));
      if (vendor) found.add(vendor);
    }
  }
  return found;
}

// Splits a display name into words: on anything that is not a letter or digit, between a lower and
// an upper case letter ("ClaudeCode", "ChatGPTPlugin" → Chat GPT Plugin), and between letters and
// digits. Compatibility forms (full-width letters, ligatures) are folded first and accents dropped.
function words(name: string): string[] {
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '');
  const spaced = folded
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/(\p{L})(\p{N})/gu, '$1 $2')
    .replace(/(\p{N})(\p{L})/gu, '$1 $2');
  return spaced.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
}

function skeleton(text: string): string {
  let out = '';
  for (const char of text.toLowerCase()) {
    const mapped = CONFUSABLES[char] ?? char;
    if (/^[a-z0-9]$/.test(mapped)) out += mapped;
  }
  return out;
}

// --- Field validation -------------------------------------------------------------------------

function commonFields(
  doc: Record<string, unknown>,
): Omit<ClientMetadata, 'client_name' | 'redirect_uris' | 'token_endpoint_auth_method'> {
  const grantTypes = stringList(doc, 'grant_types', GRANT_TYPES) ?? ['authorization_code'];
  // RFC 7591 §2.1: response_type "code" needs grant_type "authorization_code"; it is our only flow.
  if (!grantTypes.includes('authorization_code')) {
    throw metadataError('grant_types must include authorization_code');
  }
  const responseTypes = stringList(doc, 'response_types', RESPONSE_TYPES) ?? ['code'];
  const out: ReturnType<typeof commonFields> = { grant_types: grantTypes, response_types: responseTypes };
  const logo = httpsUri(doc, 'logo_uri');
  if (logo !== undefined) out.logo_uri = logo;
  const home = httpsUri(doc, 'client_uri');
  if (home !== undefined) out.client_uri = home;
  const applicationType = optionalString(doc, 'application_type', MAX_SHORT_STRING);
  if (applicationType !== undefined) {
    if (applicationType !== 'web' && applicationType !== 'native') {
      throw metadataError('application_type must be web or native');
    }
    out.application_type = applicationType;
  }
  const softwareId = optionalString(doc, 'software_id', MAX_SHORT_STRING);
  if (softwareId !== undefined) out.software_id = softwareId;
  const softwareVersion = optionalString(doc, 'software_version', MAX_SHORT_STRING);
  if (softwareVersion !== undefined) out.software_version = softwareVersion;
  // Kept as sent for the record; what is granted is decided per request (INTEROP item 6).
  const scope = optionalString(doc, 'scope', MAX_SCOPE_LENGTH);
  if (scope !== undefined) out.scope = scope;
  return out;
}

function redirectUris(doc: Record<string, unknown>, opts: MetadataOptions): string[] {
  // OAuth 2.1 §2.3.1 / RFC 9700 §2.1: every client registers its redirect URIs; we need them for S1.
  if (!present(doc, 'redirect_uris')) throw redirectError('redirect_uris is required');
  const value = doc.redirect_uris;
  if (!Array.isArray(value) || value.length === 0) {
    throw redirectError('redirect_uris must be a non-empty array of strings');
  }
  if (value.length > MAX_REDIRECT_URIS) {
    throw redirectError(`redirect_uris may hold at most ${MAX_REDIRECT_URIS} URIs`);
  }
  const uris: string[] = [];
  value.forEach((uri, index) => {
    if (typeof uri !== 'string') throw redirectError(`redirect_uris[${index}] must be a string`);
    // Named, not echoed: an error_description cannot carry the characters at fault (RFC 6749 §5.2).
    const problem = textProblem(uri, 'single-line');
    if (problem) throw redirectError(`redirect_uris[${index}] ${problem}`);
    const reason = checkRedirectUriForRegistration(uri, opts.allowedSchemes);
    if (reason !== null) throw redirectError(`redirect_uris[${index}] ${clip(uri, 200)} ${reason}`);
    if (!uris.includes(uri)) uris.push(uri);
  });
  return uris;
}

function authMethod(
  doc: Record<string, unknown>,
  fallback: TokenEndpointAuthMethod,
): TokenEndpointAuthMethod {
  if (!present(doc, 'token_endpoint_auth_method')) return fallback;
  const value = doc.token_endpoint_auth_method;
  const method = AUTH_METHODS.find((m) => m === value);
  if (method === undefined) {
    throw metadataError(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
  }
  return method;
}

function stringList(
  doc: Record<string, unknown>,
  field: string,
  allowed: readonly string[],
): string[] | undefined {
  if (!present(doc, field)) return undefined;
  const value = doc[field];
  if (!Array.isArray(value) || value.length === 0 || value.length > 10) {
    throw metadataError(`${field} must be a non-empty array of strings`);
  }
  const out: string[] = [];
  for (const item of value) {
    // Named, not echoed, when the value is not text an error_description can carry.
    const problem = typeof item === 'string' ? textProblem(item, 'single-line') : undefined;
    if (problem) throw metadataError(`${field} ${problem}`);
    if (typeof item !== 'string' || !allowed.includes(item)) {
      const shown = typeof item === 'string' ? `"${clip(item, 50)}"` : typeof item;
      throw metadataError(`${field} may contain only ${allowed.join(', ')}, not ${shown}`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

function httpsUri(doc: Record<string, unknown>, field: string): string | undefined {
  const value = optionalString(doc, field, MAX_URI_LENGTH);
  if (value === undefined) return undefined;
  // S23: shown on the consent screen, so never plain http and never a script or data URI.
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // falls through to the error below
  }
  if (url === null || url.protocol !== 'https:' || !/^https:\/\//i.test(value) || /[\s\\]/.test(value)) {
    throw metadataError(`${field} must be an https URL`);
  }
  if (url.username !== '' || url.password !== '' || /^https:\/\/[^/?#]*@/i.test(value)) {
    throw metadataError(`${field} must not contain userinfo`);
  }
  return value;
}

// Optional string field: absent or null → undefined (some clients send null for unset fields).
function optionalString(doc: Record<string, unknown>, field: string, maxLength: number): string | undefined {
  if (!present(doc, field)) return undefined;
  const value = doc[field];
  if (typeof value !== 'string') throw metadataError(`${field} must be a string`);
  if (value.length > maxLength) throw metadataError(`${field} must be at most ${maxLength} characters`);
  // The shared text rule first (NUL, C0 controls, unpaired surrogates: text-rules.ts), then more:
  // names and URIs are displayed, and C1 controls or bidi overrides could disguise them.
  const problem = textProblem(value, 'single-line');
  if (problem) throw metadataError(`${field} ${problem}`);
  if (/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(value)) {
    throw metadataError(`${field} must not contain control characters`);
  }
  return value;
}

function present(doc: Record<string, unknown>, field: string): boolean {
  return Object.hasOwn(doc, field) && doc[field] !== undefined && doc[field] !== null;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw metadataError(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function metadataError(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

function redirectError(description: string): OAuthError {
  return new OAuthError('invalid_redirect_uri', description);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
