import { describe, expect, it } from 'vitest';
import {
  checkClientName,
  checkMetadataDocumentUrl,
  DEFAULT_CLIENT_NAME,
  isReservedClientName,
  validateMetadataDocument,
  validateRegistrationRequest,
  vendorForMetadataUrl,
} from '../../src/domain/oauth/client-metadata.ts';
import { OAuthError } from '../../src/domain/oauth/errors.ts';
import { DEFAULT_REDIRECT_SCHEMES } from '../../src/domain/oauth/redirect-uri.ts';

const opts = { allowedSchemes: DEFAULT_REDIRECT_SCHEMES };

function oauthError(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}

describe('validateRegistrationRequest: the clients in INTEROP.md', () => {
  it.each([
    [
      'Cursor (three URIs in one registration)',
      {
        client_name: 'Cursor',
        redirect_uris: [
          'cursor://anysphere.cursor-mcp/oauth/callback',
          'https://www.cursor.com/agents/mcp/oauth/callback',
          'http://localhost:54321/callback',
        ],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    [
      'VS Code',
      {
        client_name: 'Visual Studio Code',
        redirect_uris: [
          'https://vscode.dev/redirect',
          'https://insiders.vscode.dev/redirect',
          'http://127.0.0.1/',
          'http://127.0.0.1:33418/',
        ],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    [
      'claude.ai',
      {
        client_name: 'Claude',
        redirect_uris: [
          'https://claude.ai/api/mcp/auth_callback',
          'https://claude.com/api/mcp/auth_callback',
        ],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'claudeai',
      },
    ],
    [
      'mcp-remote',
      {
        client_name: 'MCP CLI Proxy',
        redirect_uris: ['http://localhost:3334/oauth/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        application_type: 'native',
        software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
        software_version: '0.1.29',
        client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
      },
    ],
    [
      'MCP Inspector',
      {
        client_name: 'MCP Inspector',
        redirect_uris: ['http://127.0.0.1:6276/oauth/callback', 'http://localhost:6274/oauth/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    [
      'ChatGPT',
      {
        client_name: 'ChatGPT',
        redirect_uris: [
          'https://chatgpt.com/connector/oauth/abc123',
          'https://chatgpt.com/connector_platform_oauth_redirect',
        ],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  ])('S3, S23: accepts %s', (_label, body) => {
    const metadata = validateRegistrationRequest(body, opts);
    expect(metadata.redirect_uris).toEqual(body.redirect_uris);
    expect(metadata.client_name).toBe(body.client_name);
    expect(metadata.token_endpoint_auth_method).toBe(body.token_endpoint_auth_method);
  });
});

describe('validateRegistrationRequest', () => {
  const minimal = { redirect_uris: ['https://app.example.com/cb'] };

  it('applies the RFC 7591 §2 defaults', () => {
    expect(validateRegistrationRequest(minimal, opts)).toEqual({
      client_name: DEFAULT_CLIENT_NAME,
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
  });

  it('keeps every optional field it knows and ignores unknown ones (RFC 7591 §2)', () => {
    const metadata = validateRegistrationRequest(
      {
        ...minimal,
        client_name: 'Notes Agent',
        logo_uri: 'https://app.example.com/logo.png',
        client_uri: 'https://app.example.com',
        application_type: 'web',
        software_id: 'notes',
        software_version: '1.2.3',
        scope: 'mcp:tools offline_access',
        contacts: ['ops@example.com'],
        tos_uri: 'http://whatever',
        extra: { nested: true },
      },
      opts,
    );
    expect(metadata).toEqual({
      client_name: 'Notes Agent',
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      logo_uri: 'https://app.example.com/logo.png',
      client_uri: 'https://app.example.com',
      application_type: 'web',
      software_id: 'notes',
      software_version: '1.2.3',
      scope: 'mcp:tools offline_access',
    });
  });

  it('treats null optional fields as absent and removes duplicate redirect URIs', () => {
    const metadata = validateRegistrationRequest(
      {
        redirect_uris: ['http://localhost/cb', 'http://localhost/cb'],
        client_name: null,
        logo_uri: null,
        grant_types: null,
        token_endpoint_auth_method: null,
      },
      opts,
    );
    expect(metadata.redirect_uris).toEqual(['http://localhost/cb']);
    expect(metadata.client_name).toBe(DEFAULT_CLIENT_NAME);
    expect(metadata.logo_uri).toBeUndefined();
    expect(metadata.grant_types).toEqual(['authorization_code']);
  });

  it('trims the client_name and falls back to the default for a blank one', () => {
    expect(validateRegistrationRequest({ ...minimal, client_name: '  Notes Agent ' }, opts).client_name).toBe(
      'Notes Agent',
    );
    expect(validateRegistrationRequest({ ...minimal, client_name: '   ' }, opts).client_name).toBe(
      DEFAULT_CLIENT_NAME,
    );
  });

  it('S23: accepts ten redirect URIs and a 100-character client_name', () => {
    const uris = Array.from({ length: 10 }, (_, i) => `https://app.example.com/cb${i}`);
    const metadata = validateRegistrationRequest({ redirect_uris: uris, client_name: 'n'.repeat(100) }, opts);
    expect(metadata.redirect_uris).toHaveLength(10);
    expect(metadata.client_name).toHaveLength(100);
  });

  it.each([
    ['a body that is not an object', 'redirect_uris', /JSON object/],
    ['a null body', null, /JSON object/],
    ['an array body', [minimal], /JSON object/],
    ['a client_name over 100 characters', { ...minimal, client_name: 'n'.repeat(101) }, /client_name.*100/],
    ['a client_name that is not a string', { ...minimal, client_name: 42 }, /client_name/],
    ['a client_name with a newline', { ...minimal, client_name: 'Notes\nAllow all' }, /client_name.*control/],
    [
      'a client_name with a bidi override',
      { ...minimal, client_name: 'Notes\u202eevil' },
      /client_name.*control/,
    ],
    ['an http logo_uri', { ...minimal, logo_uri: 'http://app.example.com/logo.png' }, /logo_uri.*https/],
    ['a data: logo_uri', { ...minimal, logo_uri: 'data:image/png;base64,AAAA' }, /logo_uri.*https/],
    ['a javascript: client_uri', { ...minimal, client_uri: 'javascript:alert(1)' }, /client_uri.*https/],
    ['an http client_uri', { ...minimal, client_uri: 'http://app.example.com' }, /client_uri.*https/],
    [
      'a client_uri with userinfo',
      { ...minimal, client_uri: 'https://a@app.example.com' },
      /client_uri.*userinfo/,
    ],
    ['an unparseable logo_uri', { ...minimal, logo_uri: 'not a url' }, /logo_uri/],
    [
      'a logo_uri over 2000 characters',
      { ...minimal, logo_uri: `https://a.example/${'x'.repeat(2000)}` },
      /logo_uri/,
    ],
    [
      'an unknown auth method',
      { ...minimal, token_endpoint_auth_method: 'private_key_jwt' },
      /token_endpoint_auth_method/,
    ],
    [
      'a misspelled auth method',
      { ...minimal, token_endpoint_auth_method: 'None' },
      /token_endpoint_auth_method/,
    ],
    [
      'an auth method that is not a string',
      { ...minimal, token_endpoint_auth_method: ['none'] },
      /token_endpoint_auth_method/,
    ],
    [
      'the implicit grant',
      { ...minimal, grant_types: ['authorization_code', 'implicit'] },
      /grant_types.*implicit/,
    ],
    [
      'the password grant',
      { ...minimal, grant_types: ['authorization_code', 'password'] },
      /grant_types.*password/,
    ],
    ['client_credentials', { ...minimal, grant_types: ['client_credentials'] }, /grant_types/],
    [
      'grant_types without authorization_code',
      { ...minimal, grant_types: ['refresh_token'] },
      /authorization_code/,
    ],
    ['an empty grant_types', { ...minimal, grant_types: [] }, /grant_types/],
    ['grant_types that is a string', { ...minimal, grant_types: 'authorization_code' }, /grant_types/],
    ['response_type token', { ...minimal, response_types: ['code', 'token'] }, /response_types.*token/],
    ['an empty response_types', { ...minimal, response_types: [] }, /response_types/],
    ['an unknown application_type', { ...minimal, application_type: 'browser' }, /application_type/],
    ['a software_id over 200 characters', { ...minimal, software_id: 's'.repeat(201) }, /software_id/],
    ['a scope over 1000 characters', { ...minimal, scope: 's'.repeat(1001) }, /scope/],
  ])('S23: refuses %s with invalid_client_metadata', (_label, body, description) => {
    const error = oauthError(() => validateRegistrationRequest(body, opts));
    expect(error.code).toBe('invalid_client_metadata');
    expect(error.status).toBe(400);
    expect(error.description).toMatch(description);
  });

  it.each([
    ['no redirect_uris', {}, /redirect_uris is required/],
    ['an empty redirect_uris', { redirect_uris: [] }, /redirect_uris/],
    ['redirect_uris that is a string', { redirect_uris: 'https://app.example.com/cb' }, /redirect_uris/],
    [
      'a redirect URI that is not a string',
      { redirect_uris: ['https://app.example.com/cb', 7] },
      /redirect_uris\[1\]/,
    ],
    [
      'more than 10 redirect URIs',
      { redirect_uris: Array.from({ length: 11 }, (_, i) => `https://app.example.com/cb${i}`) },
      /at most 10/,
    ],
    [
      'one bad URI among good ones',
      { redirect_uris: ['https://app.example.com/cb', 'http://evil.example.com/cb'] },
      /redirect_uris\[1\] http:\/\/evil\.example\.com\/cb .*loopback/,
    ],
    ['a fragment', { redirect_uris: ['https://app.example.com/cb#x'] }, /fragment/],
    ['userinfo', { redirect_uris: ['https://u@app.example.com/cb'] }, /userinfo/],
    ['a wildcard', { redirect_uris: ['https://*.example.com/cb'] }, /wildcard/],
    ['javascript:', { redirect_uris: ['javascript:alert(1)'] }, /javascript/],
    ['an unknown private-use scheme', { redirect_uris: ['myapp://cb'] }, /scheme/],
  ])('S3, S23: refuses %s with invalid_redirect_uri', (_label, body, description) => {
    const error = oauthError(() => validateRegistrationRequest(body, opts));
    expect(error.code).toBe('invalid_redirect_uri');
    expect(error.description).toMatch(description);
  });

  it('S3: a short private-use scheme follows the configured allow-list', () => {
    const body = { redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'] };
    expect(oauthError(() => validateRegistrationRequest(body, { allowedSchemes: [] })).code).toBe(
      'invalid_redirect_uri',
    );
    expect(validateRegistrationRequest(body, { allowedSchemes: ['cursor'] }).redirect_uris).toEqual(
      body.redirect_uris,
    );
  });
});

describe('validateMetadataDocument', () => {
  const url = 'https://claude.ai/oauth/claude-code-client-metadata';
  const doc = {
    client_id: url,
    client_name: 'Claude Code',
    client_uri: 'https://claude.ai',
    redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };

  it('S25: accepts a document whose client_id is the URL it came from', () => {
    expect(validateMetadataDocument(doc, url, opts)).toEqual({
      client_name: 'Claude Code',
      client_uri: 'https://claude.ai',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  });

  it('S25: defaults the auth method to none and accepts VS Code’s document', () => {
    const vscode = 'https://vscode.dev/oauth/client-metadata.json';
    const metadata = validateMetadataDocument(
      {
        client_id: vscode,
        client_name: 'Visual Studio Code',
        redirect_uris: [
          'https://vscode.dev/redirect',
          'https://insiders.vscode.dev/redirect',
          'http://127.0.0.1/',
          'http://127.0.0.1:33418/',
        ],
      },
      vscode,
      opts,
    );
    expect(metadata.token_endpoint_auth_method).toBe('none');
    expect(metadata.redirect_uris).toHaveLength(4);
  });

  it('S25: refuses a document fetched from a URL that may not be a client_id', () => {
    const bad = 'https://app.example.com/';
    const error = oauthError(() => validateMetadataDocument({ ...doc, client_id: bad }, bad, opts));
    expect(error.code).toBe('invalid_client_metadata');
    expect(error.description).toMatch(/client_id must have a path/);
  });

  it.each([
    ['a document that is not an object', '{"client_id":1}', /JSON object/],
    ['a missing client_id', { ...doc, client_id: undefined }, /client_id/],
    ['a client_id with a trailing slash', { ...doc, client_id: `${url}/` }, /client_id/],
    ['a client_id in another case', { ...doc, client_id: url.toUpperCase() }, /client_id/],
    [
      'a client_id of another document',
      { ...doc, client_id: 'https://evil.example.com/client.json' },
      /client_id/,
    ],
    ['a client_secret', { ...doc, client_secret: 's3cret' }, /client_secret/],
    ['a client_secret_expires_at', { ...doc, client_secret_expires_at: 0 }, /client_secret_expires_at/],
    ['no client_name', { ...doc, client_name: undefined }, /client_name is required/],
    ['an empty client_name', { ...doc, client_name: '  ' }, /client_name is required/],
    ['a client_name over 100 characters', { ...doc, client_name: 'n'.repeat(101) }, /client_name/],
    [
      'private_key_jwt',
      { ...doc, token_endpoint_auth_method: 'private_key_jwt' },
      /private_key_jwt.*not supported/,
    ],
    ['client_secret_basic', { ...doc, token_endpoint_auth_method: 'client_secret_basic' }, /must be none/],
    ['client_secret_post', { ...doc, token_endpoint_auth_method: 'client_secret_post' }, /must be none/],
    ['an http logo_uri', { ...doc, logo_uri: 'http://claude.ai/logo.png' }, /logo_uri/],
    ['a password grant', { ...doc, grant_types: ['password'] }, /grant_types/],
  ])('S25: refuses %s with invalid_client_metadata', (_label, body, description) => {
    const error = oauthError(() => validateMetadataDocument(body, url, opts));
    expect(error.code).toBe('invalid_client_metadata');
    expect(error.description).toMatch(description);
  });

  it.each([
    ['no redirect_uris', { ...doc, redirect_uris: undefined }, /redirect_uris is required/],
    [
      'an http redirect to another host',
      { ...doc, redirect_uris: ['http://evil.example.com/cb'] },
      /loopback/,
    ],
    ['a fragment', { ...doc, redirect_uris: ['https://claude.ai/cb#x'] }, /fragment/],
  ])('S25: refuses %s with invalid_redirect_uri', (_label, body, description) => {
    const error = oauthError(() => validateMetadataDocument(body, url, opts));
    expect(error.code).toBe('invalid_redirect_uri');
    expect(error.description).toMatch(description);
  });
});

describe('checkMetadataDocumentUrl', () => {
  it.each([
    'https://claude.ai/oauth/claude-code-client-metadata',
    'https://vscode.dev/oauth/client-metadata.json',
    'https://chatgpt.com/oauth/codex/client.json',
    'https://app.example.com:8443/client.json',
    'https://app.example.com/client?version=2',
    'https://app.example.com/a.b/c..d/client',
  ])('S25: accepts %s', (url) => {
    expect(checkMetadataDocumentUrl(url)).toBeNull();
  });

  it.each([
    ['http://app.example.com/client.json', /https/],
    ['ftp://app.example.com/client.json', /https/],
    ['app.example.com/client.json', /https/],
    ['https://app.example.com', /path/],
    ['https://app.example.com/', /path/],
    ['https://app.example.com?x=1', /path/],
    ['https://app.example.com/?x=1', /path/],
    ['https://app.example.com/client.json#x', /fragment/],
    ['https://app.example.com/client.json#', /fragment/],
    ['https://user@app.example.com/client.json', /userinfo/],
    ['https://user:pw@app.example.com/client.json', /userinfo/],
    ['https://app.example.com/./client.json', /segments/],
    ['https://app.example.com/a/../client.json', /segments/],
    ['https://app.example.com/a/..', /segments/],
    ['https://app.example.com/a/%2e%2E/client.json', /segments/],
    ['https://app.example.com/a/%2e/client.json', /segments/],
    ['https://app.example.com/client json', /ASCII/],
    ['https://app.example.com\\client.json', /backslash/],
    ['https:///client.json', /host/],
    ['https://App.Example.com/client.json', /normalised/],
    ['https://app.example.com:443/client.json', /normalised/],
    ['https:/app.example.com/client.json', /https/],
    ['', /non-empty/],
    [`https://app.example.com/${'x'.repeat(2000)}`, /2000/],
  ])('S25: refuses %s', (url, reason) => {
    expect(checkMetadataDocumentUrl(url)).toMatch(reason);
  });
});

describe('reserved client names', () => {
  it.each([
    'Claude',
    'claude',
    'CLAUDE ',
    'Claude Code',
    'ClaudeCode',
    'claude-code',
    'Claude Desktop',
    'Claude.ai',
    'Claude for Teams',
    'Anthropic',
    'Cursor',
    'cursor ',
    'ChatGPT',
    'Chat GPT',
    'chat-gpt',
    'ChatGPT Connector',
    'OpenAI',
    'Open AI',
    'Codex',
    'Codex CLI',
    'VS Code',
    'VS-Code',
    'vscode',
    'VSCode',
    'Visual Studio Code',
    'GitHub Copilot',
    'Copilot',
    'Ｃｌａｕｄｅ',
    'Cläude',
    'Сlaude',
    'C1aude',
    'CIaude',
    'Cl\u200baude',
    'Curs0r',
  ])('S26: %j is reserved', (name) => {
    expect(isReservedClientName(name)).toBe(true);
  });

  it.each([
    'Notes Agent',
    'MCP Inspector',
    'mcp-remote',
    'Precursor',
    'Claudette',
    'Opening Act',
    'Code Review Bot',
    'Visual Notes',
    'Unnamed client',
    '',
  ])('S26: %j is not reserved', (name) => {
    expect(isReservedClientName(name)).toBe(false);
  });

  it.each([
    ['https://claude.ai/oauth/claude-code-client-metadata', 'Anthropic'],
    ['https://www.anthropic.com/client.json', 'Anthropic'],
    ['https://claude.com/client.json', 'Anthropic'],
    ['https://vscode.dev/oauth/client-metadata.json', 'Microsoft'],
    ['https://insiders.vscode.dev/oauth/client-metadata.json', 'Microsoft'],
    ['https://chatgpt.com/oauth/codex/client.json', 'OpenAI'],
    ['https://openai.com/client.json', 'OpenAI'],
    ['https://cursor.com/client.json', 'Cursor'],
    ['https://www.cursor.com/client.json', 'Cursor'],
    ['https://notclaude.ai/client.json', null],
    ['https://claude.ai.evil.com/client.json', null],
    ['https://evil.com/claude.ai/client.json', null],
    ['http://claude.ai/client.json', null],
    ['https://claude.ai@evil.com/client.json', null],
    ['not a url', null],
  ])('S26: the vendor of %s is %s', (url, vendor) => {
    expect(vendorForMetadataUrl(url)).toBe(vendor);
  });

  it.each([
    ['Claude Code', 'Anthropic'],
    ['Claude', 'Anthropic'],
    ['Visual Studio Code', 'Microsoft'],
    ['Codex', 'OpenAI'],
    ['ChatGPT', 'OpenAI'],
    ['Cursor', 'Cursor'],
    ['Notes Agent', null],
    ['Notes Agent', 'Anthropic'],
  ])('S26: %j from vendor %s may use its name', (name, vendor) => {
    expect(checkClientName(name, vendor)).toBeNull();
  });

  it.each([
    ['Claude', null, /Anthropic/],
    ['Claude Code', 'OpenAI', /Anthropic/],
    ['ChatGPT', 'Anthropic', /OpenAI/],
    ['VS Code', null, /Microsoft/],
    ['Cursor', 'Microsoft', /Cursor/],
    ['Claude for VS Code', 'Anthropic', /Anthropic and Microsoft|Microsoft and Anthropic/],
  ])('S26: %j from vendor %s is refused', (name, vendor, reason) => {
    expect(checkClientName(name, vendor)).toMatch(reason);
  });
});
