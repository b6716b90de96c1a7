import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedClient, ISSUER, MCP_URL, oauthTestApp } from '../helpers/oauth-scenarios.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

const DISCOVERY_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

function expectedMetadata(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    revocation_endpoint: `${issuer}/revoke`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    scopes_supported: ['mcp:tools'],
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

describe(`OAuth metadata and JWKS [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await oauthTestApp();
  });
  afterAll(async () => t.close());

  it('serves the same metadata at both discovery paths, with every required field', async () => {
    const texts: string[] = [];
    for (const path of DISCOVERY_PATHS) {
      const res = await t.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      // Browser-based clients read it cross-origin.
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const text = await res.text();
      texts.push(text);
      const meta = JSON.parse(text);
      expect(meta).toMatchObject(expectedMetadata(ISSUER));
      // Byte for byte: the issuer string as it appears in the document.
      expect(text).toContain(`"issuer":"${ISSUER}"`);
    }
    expect(texts[1]).toBe(texts[0]);
  });

  it('S6, S33, S34: metadata advertises exactly S256, only code and the two grants, and iss support', async () => {
    const meta = await (await t.request(DISCOVERY_PATHS[0]!)).json();
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.grant_types_supported).not.toContain('password');
    expect(meta.grant_types_supported).not.toContain('implicit');
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('the issuer is PUBLIC_URL byte for byte, whatever PUBLIC_URL is', async () => {
    const publicUrl = 'https://Userplane.example.com:8443';
    const other = await createTestApp({ env: { PUBLIC_URL: publicUrl } });
    try {
      for (const path of DISCOVERY_PATHS) {
        const text = await (await other.request(path)).text();
        const meta = JSON.parse(text);
        expect(meta.issuer).toBe(publicUrl);
        expect(meta).toMatchObject(expectedMetadata(publicUrl));
      }
    } finally {
      await other.close();
    }
  });

  it('the JWKS serves the key that verifies issued access tokens', async () => {
    const { tokens, client } = await connectedClient(t);
    const meta = await (await t.request(DISCOVERY_PATHS[0]!)).json();
    const jwksPath = new URL(meta.jwks_uri).pathname;
    const res = await t.request(jwksPath);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const jwks = (await res.json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    const { kid } = decodeProtectedHeader(tokens.access_token);
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);

    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: MCP_URL,
      algorithms: ['ES256'],
      typ: 'at+jwt',
    });
    expect(protectedHeader.kid).toBe(kid);
    expect(payload.client_id).toBe(client.client_id);

    // A token whose signature was tampered with does not verify against it.
    const [h, p, s] = tokens.access_token.split('.');
    const flipped = `${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(jwtVerify(`${h}.${p}.${flipped}`, createLocalJWKSet(jwks))).rejects.toThrow();
  });
});
