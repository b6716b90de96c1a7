import { describe, expect, it } from 'vitest';
import {
  checkRedirectUriForRegistration,
  DEFAULT_REDIRECT_SCHEMES,
  isLoopbackRedirect,
  redirectHost,
  redirectUriMatches,
} from '../../src/domain/oauth/redirect-uri.ts';

const SCHEMES = DEFAULT_REDIRECT_SCHEMES;

describe('checkRedirectUriForRegistration', () => {
  it.each([
    // https anywhere
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?tenant=a',
    'https://claude.ai/api/mcp/auth_callback',
    'https://claude.com/api/mcp/auth_callback',
    'https://www.cursor.com/agents/mcp/oauth/callback',
    'https://vscode.dev/redirect',
    'https://insiders.vscode.dev/redirect',
    'https://chatgpt.com/connector/oauth/abc123',
    'https://chatgpt.com/connector_platform_oauth_redirect',
    // loopback http, any port
    'http://127.0.0.1/',
    'http://127.0.0.1:33418/',
    'http://127.0.0.1:6276/oauth/callback',
    'http://127.0.0.1:1455/callback/abc',
    'http://[::1]:8080/cb',
    'http://localhost/callback',
    'http://localhost:53123/oauth/callback',
    'http://localhost',
    'http://localhost:3000/cb?x=1',
    // private-use schemes: with a dot, or on the allow-list
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'vscode://vscode.github-authentication/did-authenticate',
    'vscode-insiders://ms-vscode/cb',
    'claude://oauth/callback',
  ])('S3: accepts %s', (uri) => {
    expect(checkRedirectUriForRegistration(uri, SCHEMES)).toBeNull();
  });

  it.each([
    ['http://example.com/callback', /loopback/],
    ['http://app.example.com:8080/cb', /loopback/],
    ['http://127.0.0.2/cb', /loopback/],
    ['http://0.0.0.0/cb', /loopback/],
    ['http://localhost.evil.com/cb', /loopback/],
    ['http://127.0.0.1.nip.io/cb', /loopback/],
    ['http://127.1/cb', /loopback/],
    ['http://LOCALHOST/cb', /lower case/],
    ['https://app.example.com/cb#frag', /fragment/],
    ['https://app.example.com/cb#', /fragment/],
    ['http://localhost/cb#x', /fragment/],
    ['https://user@app.example.com/cb', /userinfo/],
    ['https://user:pw@app.example.com/cb', /userinfo/],
    ['https://@app.example.com/cb', /userinfo/],
    ['http://evil.com@127.0.0.1/cb', /userinfo/],
    ['http://127.0.0.1:80@evil.com/cb', /userinfo/],
    ['https://*.example.com/cb', /wildcard/],
    ['https://app.*.com/cb', /wildcard/],
    ['https://*/cb', /wildcard/],
    ['com.example.app://*/cb', /wildcard/],
    ['javascript:alert(1)', /javascript/],
    ['JavaScript:alert(1)', /javascript/],
    ['data:text/html,<script>alert(1)</script>', /data/],
    ['file:///etc/passwd', /file/],
    ['blob:https://app.example.com/1234', /blob/],
    ['vbscript:msgbox', /vbscript/],
    ['myapp://callback', /scheme/],
    ['ftp://files.example.com/cb', /scheme/],
    ['ws://localhost/cb', /scheme/],
    ['', /non-empty/],
    ['/callback', /scheme/],
    ['app.example.com/callback', /scheme/],
    ['https://', /valid/],
    ['https:///app.example.com/cb', /https:\/\/host/],
    ['https:/app.example.com/cb', /https:\/\/host/],
    ['https:app.example.com/cb', /https:\/\/host/],
    ['https://exa mple.com/cb', /ASCII/],
    [' https://app.example.com/cb', /ASCII/],
    ['https://app.example.com/cb\n', /ASCII/],
    ['https:\\\\evil.com\\cb', /backslash/],
    ['https://bücher.example/cb', /ASCII/],
    [`https://app.example.com/${'a'.repeat(2000)}`, /2000/],
  ])('S3: refuses %s', (uri, reason) => {
    expect(checkRedirectUriForRegistration(uri, SCHEMES)).toMatch(reason);
  });

  it('S3: a short private-use scheme is accepted only when the operator allows it', () => {
    expect(checkRedirectUriForRegistration('cursor://anysphere.cursor-mcp/oauth/callback', [])).toMatch(
      /scheme/,
    );
    expect(checkRedirectUriForRegistration('myapp://callback', ['myapp'])).toBeNull();
    expect(checkRedirectUriForRegistration('MyApp://callback', ['myapp'])).toBeNull();
  });

  it('S3: the allow-list cannot re-enable a script-like scheme', () => {
    expect(checkRedirectUriForRegistration('javascript:alert(1)', ['javascript'])).toMatch(/not allowed/);
    expect(checkRedirectUriForRegistration('http://example.com/cb', ['http'])).toMatch(/loopback/);
  });

  it('accepts a URI of exactly 2000 characters', () => {
    const uri = `https://app.example.com/${'a'.repeat(2000 - 'https://app.example.com/'.length)}`;
    expect(uri).toHaveLength(2000);
    expect(checkRedirectUriForRegistration(uri, SCHEMES)).toBeNull();
  });
});

describe('redirectUriMatches', () => {
  const registered = [
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=a',
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'http://127.0.0.1:33418/',
    'http://localhost/callback',
    'http://[::1]:9000/cb?x=1',
  ];

  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=a',
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'http://127.0.0.1:33418/',
    'http://localhost/callback',
    'http://[::1]:9000/cb?x=1',
  ])('S1: matches the registered %s exactly', (uri) => {
    expect(redirectUriMatches(registered, uri)).toBe(true);
  });

  it.each([
    'https://app.example.com/callback/',
    'https://app.example.com/Callback',
    'https://APP.example.com/callback',
    'HTTPS://app.example.com/callback',
    'https://app.example.com:443/callback',
    'https://app.example.com/callback?x=1',
    'https://app.example.com/callback#x',
    'https://app.example.com/cb?tenant=b',
    'https://app.example.com/cb?tenant=a&x=1',
    'https://app.example.com/callback ',
    'https://app.example.com/callback/../callback',
    'https://app.example.com/%63allback',
    'https://app.example.com.evil.com/callback',
    'https://evil.com/callback',
    'https://user@app.example.com/callback',
    'cursor://anysphere.cursor-mcp/oauth/callback2',
    'cursor://anysphere.cursor-mcp/oauth/callback?code=x',
    'http://app.example.com/callback',
    '',
  ])('S1: refuses %s, which differs from every registered URI', (uri) => {
    expect(redirectUriMatches(registered, uri)).toBe(false);
  });

  it.each([
    'http://127.0.0.1/',
    'http://127.0.0.1:1/',
    'http://127.0.0.1:50000/',
    'http://127.0.0.1:65535/',
    'http://localhost:53123/callback',
    'http://localhost:80/callback',
    'http://[::1]/cb?x=1',
    'http://[::1]:1234/cb?x=1',
  ])('S2: matches the loopback %s on another port', (uri) => {
    expect(redirectUriMatches(registered, uri)).toBe(true);
  });

  it.each([
    ['another host', 'http://localhost:33418/'],
    ['localhost for 127.0.0.1', 'http://localhost:33418/'],
    ['127.0.0.1 for localhost', 'http://127.0.0.1:53123/callback'],
    ['[::1] for localhost', 'http://[::1]:53123/callback'],
    ['another path', 'http://localhost:53123/callback/'],
    ['another path case', 'http://localhost:53123/Callback'],
    ['an added query', 'http://localhost:53123/callback?x=1'],
    ['another query', 'http://[::1]:9000/cb?x=2'],
    ['a dropped query', 'http://[::1]:9000/cb'],
    ['https for http', 'https://localhost:53123/callback'],
    ['an upper-case scheme', 'HTTP://localhost:53123/callback'],
    ['an upper-case host', 'http://LOCALHOST:53123/callback'],
    ['a fragment', 'http://localhost:53123/callback#x'],
    ['userinfo', 'http://evil@localhost:53123/callback'],
    ['a host after a fake port', 'http://localhost:53123@evil.com/callback'],
    ['a port out of range', 'http://localhost:99999/callback'],
    ['an empty port', 'http://localhost:/callback'],
    ['a shorthand address', 'http://127.1:33418/'],
    ['a missing path', 'http://127.0.0.1:33418'],
  ])('S2: refuses a loopback redirect with %s', (_label, uri) => {
    expect(redirectUriMatches(registered, uri)).toBe(false);
  });

  it('S2: a port-less registered http://localhost/callback matches any port (Claude Code)', () => {
    expect(redirectUriMatches(['http://localhost/callback'], 'http://localhost:53123/callback')).toBe(true);
    expect(redirectUriMatches(['http://localhost/callback'], 'http://127.0.0.1:53123/callback')).toBe(false);
  });

  it('S2: any-port matching applies only to loopback http, never to https or other hosts', () => {
    expect(redirectUriMatches(['https://app.example.com:8443/cb'], 'https://app.example.com:9443/cb')).toBe(
      false,
    );
    expect(redirectUriMatches(['https://localhost:8443/cb'], 'https://localhost:9443/cb')).toBe(false);
  });

  it('S1: matches nothing when nothing is registered', () => {
    expect(redirectUriMatches([], 'http://localhost/callback')).toBe(false);
  });
});

describe('isLoopbackRedirect', () => {
  it.each([
    ['http://127.0.0.1/', true],
    ['http://127.0.0.1:33418/', true],
    ['http://[::1]:8080/cb', true],
    ['http://localhost:53123/oauth/callback', true],
    ['http://localhost', true],
    ['https://localhost/cb', false],
    ['http://localhost.evil.com/cb', false],
    ['http://example.com/cb', false],
    ['cursor://anysphere.cursor-mcp/oauth/callback', false],
  ])('%s → %s', (uri, expected) => {
    expect(isLoopbackRedirect(uri)).toBe(expected);
  });
});

describe('redirectHost', () => {
  it.each([
    ['https://claude.ai/api/mcp/auth_callback', 'claude.ai'],
    ['https://app.example.com:8443/cb', 'app.example.com'],
    ['http://127.0.0.1:33418/', '127.0.0.1'],
    ['http://[::1]:8080/cb', '[::1]'],
    ['http://localhost:53123/callback', 'localhost'],
    ['cursor://anysphere.cursor-mcp/oauth/callback', 'cursor'],
    ['com.example.app:/oauth2redirect', 'com.example.app'],
    ['not a uri', ''],
  ])('%s → %s', (uri, expected) => {
    expect(redirectHost(uri)).toBe(expected);
  });
});
