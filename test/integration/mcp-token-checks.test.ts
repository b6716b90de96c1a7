import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { createTokenVerifier, remoteKeySource } from '../../src/mcp/auth.ts';
import { InvalidTokenError, issueAccessToken } from '../../src/services/access-tokens.ts';
import { createUser } from '../../src/services/users.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { ALICE, connectedClient, grantIdOf, MCP_URL, oauthTestApp } from '../helpers/oauth-scenarios.ts';
import type { TestApp } from '../helpers/test-app.ts';

// S17–S19, S21 at /mcp: which tokens are refused, with which challenge, and the remote-JWKS mode of
// `serve --only mcp`.

const ISSUER = 'http://localhost:3000';
const METADATA = `${ISSUER}/.well-known/oauth-protected-resource/mcp`;
const CHALLENGE = `Bearer resource_metadata="${METADATA}", scope="mcp:tools"`;
const INVALID = `${CHALLENGE}, error="invalid_token"`;

let t: TestApp;
let token: string;
let grantId: string;
let userId: string;

const callBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'userplane_get_profile', arguments: {} },
});

function call(authorization: string | undefined, path = '/mcp'): Promise<Response> {
  return t.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization ? { authorization } : {}),
    },
    body: callBody,
  });
}

/** A token signed with the server's current key; `claims`/`header` override the good ones. */
async function forge(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key?: { kid: string; privateKey: CryptoKey },
): Promise<string> {
  const signing = key ?? (await t.deps.keys.signingKey());
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({
    iss: ISSUER,
    sub: userId,
    aud: MCP_URL,
    client_id: 'forged-client',
    scope: 'mcp:tools',
    grant_id: grantId,
    jti: `j-${Math.random()}`,
    iat: now,
    exp: now + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signing.kid, ...header } as { alg: string })
    .sign(signing.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  t = await oauthTestApp();
  const connected = await connectedClient(t);
  token = connected.tokens.access_token;
  grantId = grantIdOf(token);
  userId = (
    await t.store.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', ALICE.email)
      .executeTakeFirstOrThrow()
  ).id;
});

afterAll(async () => {
  await t?.close();
});

describe('S17/S18: tokens /mcp refuses', () => {
  it('accepts the real token, and a token forged the same way with good claims (control)', async () => {
    expect((await call(`Bearer ${token}`)).status).toBe(200);
    expect((await call(`Bearer ${await forge()}`)).status).toBe(200);
    // RFC 6750 §2.1: the scheme is case-insensitive.
    expect((await call(`bearer ${token}`)).status).toBe(200);
  });

  const refused: Array<[string, () => Promise<string>]> = [
    ['wrong aud', () => forge({ aud: 'https://other.example/mcp' })],
    ['wrong iss', () => forge({ iss: 'https://evil.example' })],
    [
      'alg none',
      async () =>
        `${b64({ alg: 'none', typ: 'at+jwt', kid: (await t.deps.keys.signingKey()).kid })}.${b64({ iss: ISSUER, sub: userId, aud: MCP_URL, scope: 'mcp:tools', grant_id: grantId, client_id: 'c', jti: 'j', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })}.`,
    ],
    [
      'HS256 keyed with the public key',
      async () => {
        const { keys } = await t.deps.keys.jwks();
        const secret = new TextEncoder().encode(JSON.stringify(keys[0]));
        const now = Math.floor(Date.now() / 1000);
        return await new SignJWT({ sub: userId, scope: 'mcp:tools', grant_id: grantId, client_id: 'c' })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys[0]!.kid })
          .setIssuer(ISSUER)
          .setAudience(MCP_URL)
          .setJti('j')
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(secret);
      },
    ],
    [
      'unknown kid',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return await forge({}, {}, { kid: 'no-such-key', privateKey });
      },
    ],
    [
      'a known kid but another key (bad signature)',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return await forge({}, {}, { kid: (await t.deps.keys.signingKey()).kid, privateKey });
      },
    ],
    [
      'a tampered signature',
      async () => {
        const [h, p, s] = token.split('.');
        const sig = Buffer.from(s!, 'base64url');
        sig[10] = sig[10]! ^ 0xff;
        return `${h}.${p}.${sig.toString('base64url')}`;
      },
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = token.split('.');
        return `${h}.${b64({ iss: ISSUER, sub: 'someone-else', aud: MCP_URL })}.${s}`;
      },
    ],
    [
      'expired beyond the 60 s leeway',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return await forge({ iat: now - 1200, exp: now - 61 });
      },
    ],
    ['wrong typ (JWT)', () => forge({}, { typ: 'JWT' })],
    ['no typ', () => forge({}, { typ: undefined })],
    ['not a JWT at all', async () => 'abc.def'],
  ];
  for (const [name, make] of refused) {
    it(`S17: refuses ${name} with 401 and error="invalid_token" (S18)`, async () => {
      const res = await call(`Bearer ${await make()}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(INVALID);
      expect((await res.json()).error).toBe('invalid_token');
    });
  }

  it('S17: accepts a token expired less than the 60 s leeway ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await call(`Bearer ${await forge({ iat: now - 1200, exp: now - 30 })}`)).status).toBe(200);
  });

  it('S18: no token → 401 with resource_metadata and scope, without an error code', async () => {
    const res = await call(undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
    // Another scheme is no Bearer token either.
    const basic = await call('Basic YWxpY2U6cGFzcw==');
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toBe(CHALLENGE);
    // "Bearer" with nothing usable after it was an attempt: invalid_token.
    const empty = await call('Bearer ');
    expect(empty.status).toBe(401);
    expect(empty.headers.get('www-authenticate')).toBe(INVALID);
  });

  it('S18: a token without mcp:tools → 403 insufficient_scope', async () => {
    const res = await call(`Bearer ${await forge({ scope: 'profile other' })}`);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="${METADATA}"`,
    );
    expect((await res.json()).error).toBe('insufficient_scope');
  });

  it('S19: a token in the query string is ignored', async () => {
    for (const name of ['access_token', 'token', 'authorization']) {
      const res = await call(undefined, `/mcp?${name}=${encodeURIComponent(token)}`);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
    }
  });

  it('does no signature work for a token it already verified (the cache)', async () => {
    const fresh = await forge();
    const lookups = vi.spyOn(t.deps.keys, 'publicKeyFor');
    try {
      expect((await call(`Bearer ${fresh}`)).status).toBe(200);
      expect(lookups).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 5; i++) expect((await call(`Bearer ${fresh}`)).status).toBe(200);
      expect(lookups).toHaveBeenCalledTimes(1);
      // A refused token is remembered too: no key lookup the second time.
      const tampered = `${fresh.slice(0, -6)}AAAAAA`;
      expect((await call(`Bearer ${tampered}`)).status).toBe(401);
      const after = lookups.mock.calls.length;
      expect((await call(`Bearer ${tampered}`)).status).toBe(401);
      expect(lookups).toHaveBeenCalledTimes(after);
    } finally {
      lookups.mockRestore();
    }
  });

  it('re-verifies a cached token once it expired', async () => {
    let now = Date.now();
    const lookups = vi.fn(async (kid: string) => await t.deps.keys.publicKeyFor(kid));
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: MCP_URL,
      getKey: lookups,
      now: () => now,
    });
    const short = await forge({ iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 10 });
    await verifier.verify(short);
    await verifier.verify(short);
    expect(lookups).toHaveBeenCalledTimes(1);
    now += 75_000; // past exp + leeway
    await expect(verifier.verify(short)).rejects.toMatchObject({ reason: 'expired' });
    expect(lookups).toHaveBeenCalledTimes(2);
  });
});

describe('S21: a remote JWKS (serve --only mcp)', () => {
  let as: ListeningApp;
  let jwksRequests = 0;

  beforeAll(async () => {
    as = await startListeningApp({
      extraRoutes: (front) => {
        front.use('/.well-known/jwks.json', async (_c, next) => {
          jwksRequests++;
          await next();
        });
      },
    });
    await as.t.deps.keys.init();
  });

  afterAll(async () => {
    await as?.close();
  });

  const issue = async (kid?: { kid: string; privateKey: CryptoKey }) => {
    if (kid) {
      const now = Math.floor(Date.now() / 1000);
      return await new SignJWT({ client_id: 'c', scope: 'mcp:tools', grant_id: 'g' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: kid.kid })
        .setIssuer(as.url)
        .setSubject('u')
        .setAudience(`${as.url}/mcp`)
        .setJti(`j-${Math.random()}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(kid.privateKey);
    }
    const { token: issued } = await issueAccessToken(as.t.deps.keys, {
      issuer: as.url,
      subject: 'u',
      audience: `${as.url}/mcp`,
      clientId: 'c',
      scope: 'mcp:tools',
      grantId: 'g',
      ttlSeconds: 600,
      now: Date.now(),
    });
    return issued;
  };

  it('S21: an unknown kid refetches the JWKS at most once per cooldown', async () => {
    const cooldownMs = 400;
    const verifier = createTokenVerifier({
      issuer: as.url,
      audience: `${as.url}/mcp`,
      getKey: remoteKeySource(`${as.url}/.well-known/jwks.json`, { cooldownMs }),
      now: () => Date.now(),
    });
    const start = jwksRequests;
    await verifier.verify(await issue());
    expect(jwksRequests - start).toBe(1);
    await verifier.verify(await issue()); // same kid, new token: the cached set answers
    expect(jwksRequests - start).toBe(1);

    const stranger = { kid: 'unknown-kid', privateKey: (await generateKeyPair('ES256')).privateKey };
    for (let i = 0; i < 5; i++) {
      await expect(verifier.verify(await issue({ ...stranger, kid: `unknown-${i}` }))).rejects.toMatchObject({
        reason: 'unknown_kid',
      });
    }
    // Within the cooldown after the first fetch: no refetch however many unknown kids arrive.
    expect(jwksRequests - start).toBe(1);

    await new Promise((r) => setTimeout(r, cooldownMs + 100));
    for (let i = 0; i < 5; i++) {
      await expect(verifier.verify(await issue({ ...stranger, kid: `later-${i}` }))).rejects.toBeInstanceOf(
        InvalidTokenError,
      );
    }
    expect(jwksRequests - start).toBe(2);

    // A key rotated in at once on the AS is found by the next refetch after the cooldown.
    await as.t.deps.keys.rotate('test', { immediate: true });
    const rotated = await issue();
    await new Promise((r) => setTimeout(r, cooldownMs + 100));
    const { claims } = await verifier.verify(rotated);
    expect(claims.sub).toBe('u');
    expect(jwksRequests - start).toBe(3);
  });

  it('serves /mcp alone, trusting AUTH_ISSUER and JWKS_URL, on the same database', async () => {
    await createUser(as.t.deps, { ...ALICE, name: 'Alice' });
    const alice = await as.t.store.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', ALICE.email)
      .executeTakeFirstOrThrow();
    const mcpOnly = buildApp({
      config: { ...as.t.config, authIssuer: as.url, jwksUrl: `${as.url}/.well-known/jwks.json` },
      store: as.t.store,
      log: silentLogger(),
      only: 'mcp',
    });
    const { token: issued } = await issueAccessToken(as.t.deps.keys, {
      issuer: as.url,
      subject: alice.id,
      audience: `${as.url}/mcp`,
      clientId: 'c',
      scope: 'mcp:tools',
      grantId: 'g-only',
      ttlSeconds: 600,
      now: Date.now(),
    });
    const before = jwksRequests;
    const res = await mcpOnly.app.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${issued}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: callBody,
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain(ALICE.email);
    expect(jwksRequests).toBeGreaterThan(before);
    // Nothing of the authorization server is served here.
    expect((await mcpOnly.app.request('/.well-known/oauth-authorization-server')).status).toBe(404);
    expect((await mcpOnly.app.request('/token', { method: 'POST' })).status).toBe(404);
    expect((await mcpOnly.app.request('/healthz')).status).toBe(200);
    expect((await mcpOnly.app.request('/readyz')).status).toBe(200);
    const metadata = await (await mcpOnly.app.request('/.well-known/oauth-protected-resource/mcp')).json();
    expect(metadata.authorization_servers).toEqual([as.url]);
    await mcpOnly.mcp.stop();
  });

  it('answers 503, not invalid_token, when the JWKS cannot be fetched (the client keeps its token)', async () => {
    const mcpOnly = buildApp({
      // Port 9 (discard) on loopback: nothing listens, the fetch fails at once.
      config: { ...as.t.config, authIssuer: as.url, jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' },
      store: as.t.store,
      log: silentLogger(),
      only: 'mcp',
    });
    const res = await mcpOnly.app.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await issue()}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: callBody,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('www-authenticate')).toBeNull();
    await mcpOnly.mcp.stop();
  });

  it('refuses to build the MCP-only app without AUTH_ISSUER or JWKS_URL, naming the setting', () => {
    const base = { store: as.t.store, log: silentLogger(), only: 'mcp' as const };
    expect(() =>
      buildApp({ ...base, config: { ...as.t.config, authIssuer: null, jwksUrl: 'http://x/jwks' } }),
    ).toThrow(new ConfigError('AUTH_ISSUER is required with serve --only mcp'));
    expect(() =>
      buildApp({ ...base, config: { ...as.t.config, authIssuer: as.url, jwksUrl: null } }),
    ).toThrow(/JWKS_URL/);
  });

  it('`userplane serve --only mcp` stops at start naming the missing setting', async () => {
    const bin = join(import.meta.dirname, '../../bin/userplane.js');
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, 'serve', '--only', 'mcp'], {
          env: {
            ...process.env,
            DATA_DIR: as.t.config.dataDir,
            USERPLANE_SECRET: 'cli-secret-cli-secret-cli-secret-0123456789',
            PORT: '59999',
            LOG_LEVEL: 'silent',
            ...env,
          },
        });
        let stderr = '';
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
      });
    const noIssuer = await run({ JWKS_URL: `${as.url}/.well-known/jwks.json` });
    expect(noIssuer.code).toBe(1);
    expect(noIssuer.stderr).toContain('AUTH_ISSUER');
    // A malformed one is refused when the settings load, naming it too.
    expect(() =>
      loadConfig({ DATA_DIR: as.t.config.dataDir, USERPLANE_SECRET: 'x'.repeat(40), JWKS_URL: 'not a url' }),
    ).toThrow(/JWKS_URL/);
  });
});
