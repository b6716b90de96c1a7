import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/domain/oauth/errors.ts';
import { resolveResource } from '../../src/domain/oauth/resource.ts';
import { grantedScope, parseScope, refreshScope, SUPPORTED_SCOPES } from '../../src/domain/oauth/scope.ts';

const MCP_URL = 'https://userplane.example.com/mcp';

function oauthError(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}

describe('scope', () => {
  it('supports exactly mcp:tools', () => {
    expect(SUPPORTED_SCOPES).toEqual(['mcp:tools']);
  });

  it.each([
    [undefined],
    [''],
    ['mcp:tools'],
    ['claudeai'],
    ['read write'],
    ['openid profile offline_access'],
    ['mcp:tools offline_access'],
    ['  mcp:tools   claudeai '],
    ['admin mcp:admin'],
  ])('grants mcp:tools and drops unknown values for %j (INTEROP item 6)', (requested) => {
    expect(grantedScope(requested)).toBe('mcp:tools');
  });

  it('parses a space-delimited scope into distinct values', () => {
    expect(parseScope(' a  b a ')).toEqual(['a', 'b']);
    expect(parseScope(undefined)).toEqual([]);
  });

  it.each([
    [undefined, 'mcp:tools', 'mcp:tools'],
    ['', 'mcp:tools', 'mcp:tools'],
    ['mcp:tools', 'mcp:tools', 'mcp:tools'],
    [' mcp:tools  mcp:tools ', 'mcp:tools', 'mcp:tools'],
    ['b', 'a b', 'b'],
    ['b a', 'a b', 'a b'],
  ])('S15: a refresh asking %j of a grant of %j gets %j', (requested, granted, expected) => {
    expect(refreshScope(requested, granted)).toBe(expected);
  });

  it.each([
    ['claudeai', 'mcp:tools'],
    ['mcp:tools offline_access', 'mcp:tools'],
    ['mcp:admin', 'mcp:tools'],
    ['MCP:TOOLS', 'mcp:tools'],
    ['c', 'a b'],
  ])('S15: a refresh asking %j outside a grant of %j fails with invalid_scope', (requested, granted) => {
    const error = oauthError(() => refreshScope(requested, granted));
    expect(error.code).toBe('invalid_scope');
    expect(error.status).toBe(400);
  });
});

describe('resolveResource', () => {
  it.each([
    ['missing', undefined],
    ['the MCP URL', MCP_URL],
    ['the MCP URL with one trailing slash', `${MCP_URL}/`],
    ['several values that all name it', [MCP_URL, `${MCP_URL}/`]],
    ['an empty list', []],
  ])('resolves %s to the MCP URL (INTEROP item 4)', (_label, requested) => {
    expect(resolveResource(requested, MCP_URL)).toBe(MCP_URL);
  });

  it('accepts the URL without its slash when the MCP URL has one', () => {
    expect(resolveResource('https://userplane.example.com/mcp', 'https://userplane.example.com/mcp/')).toBe(
      'https://userplane.example.com/mcp/',
    );
  });

  it.each([
    ['two trailing slashes', `${MCP_URL}//`],
    ['another path', 'https://userplane.example.com/mcp/x'],
    ['the issuer', 'https://userplane.example.com'],
    ['the issuer with a slash', 'https://userplane.example.com/'],
    ['another host', 'https://evil.example.com/mcp'],
    ['http', 'http://userplane.example.com/mcp'],
    ['a query', `${MCP_URL}?x=1`],
    ['a fragment', `${MCP_URL}#x`],
    ['another case', 'https://Userplane.example.com/mcp'],
    ['an empty value', ''],
    ['a list with one foreign value', [MCP_URL, 'https://evil.example.com/mcp']],
  ])('refuses %s with invalid_target (RFC 8707 §2, INTEROP item 4)', (_label, requested) => {
    const error = oauthError(() => resolveResource(requested, MCP_URL));
    expect(error.code).toBe('invalid_target');
    expect(error.status).toBe(400);
  });
});
