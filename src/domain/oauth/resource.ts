import { OAuthError } from './errors.ts';

// Resource indicators (RFC 8707). We protect one resource, the MCP endpoint; its URL becomes the
// access token's `aud` (RFC 8707 §2, MCP authorization spec "Token Audience Binding").

/**
 * The resource a request is for. Missing → our MCP URL (INTEROP item 4: some clients omit it);
 * the MCP URL with or without one trailing slash → the MCP URL; several values must each name it;
 * anything else → `invalid_target` (RFC 8707 §2).
 */
export function resolveResource(requested: string | string[] | undefined, mcpUrl: string): string {
  if (requested === undefined) return mcpUrl;
  const values = Array.isArray(requested) ? requested : [requested];
  for (const value of values) {
    if (!namesResource(value, mcpUrl)) {
      throw new OAuthError('invalid_target', `resource must be ${mcpUrl}, not ${clip(String(value))}`);
    }
  }
  return mcpUrl;
}

function namesResource(value: unknown, mcpUrl: string): boolean {
  if (typeof value !== 'string' || value === '') return false;
  return withoutOneSlash(value) === withoutOneSlash(mcpUrl);
}

function withoutOneSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
