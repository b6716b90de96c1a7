import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { countLiveRefreshTokens } from '../../src/store/oauth-grants.ts';
import {
  auditEvents,
  connectedClient,
  exchangeCode,
  expectOAuthError,
  grantIdOf,
  grantRow,
  MCP_URL,
  newClient,
  oauthTestApp,
  obtainCode,
  refresh,
  type Tokens,
  tokenRequest,
} from '../helpers/oauth-scenarios.ts';
import { type TestApp, testDialect } from '../helpers/test-app.ts';

const REDIRECT = 'http://127.0.0.1:50123/callback';

describe(`OAuth token endpoint [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 2, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await oauthTestApp({ clock });
  });
  afterAll(async () => t.close());

  async function freshCode(clientId: string, redirectUri = REDIRECT) {
    return await obtainCode(t, { clientId, redirectUri });
  }

  describe('authorization_code', () => {
    it('S7: a missing code_verifier is invalid_request; a wrong or malformed one invalid_grant; the code survives them', async () => {
      const client = await newClient(t);
      const { code, verifier } = await freshCode(client.client_id);
      const base = {
        grant_type: 'authorization_code',
        code,
        client_id: client.client_id,
        redirect_uri: REDIRECT,
      };
      await expectOAuthError(await tokenRequest(t.app, base), 400, 'invalid_request');
      await expectOAuthError(
        await tokenRequest(t.app, { ...base, code_verifier: '' }),
        400,
        'invalid_request',
      );
      // Well formed, but not the verifier of this challenge.
      const wrong = `${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}`;
      await expectOAuthError(
        await tokenRequest(t.app, { ...base, code_verifier: wrong }),
        400,
        'invalid_grant',
      );
      // Malformed: too short, too long, a character outside RFC 7636's alphabet, the challenge itself.
      for (const malformed of ['short', 'a'.repeat(129), `${verifier.slice(0, 42)}+`, `${verifier} `]) {
        const res = await tokenRequest(t.app, { ...base, code_verifier: malformed });
        const body = await res.json();
        expect(res.status).toBe(400);
        expect(['invalid_grant', 'invalid_request']).toContain(body.error);
      }
      // None of the failures consumed the code.
      const tokens = await exchangeCode(t, {
        clientId: client.client_id,
        code,
        verifier,
        redirectUri: REDIRECT,
      });
      expect(tokens.token_type).toBe('Bearer');
    });

    it('S8: a code works within 60 seconds and not after', async () => {
      const client = await newClient(t);
      const early = await freshCode(client.client_id);
      clock.advance(59_000);
      await exchangeCode(t, { clientId: client.client_id, ...early, redirectUri: REDIRECT });

      const late = await freshCode(client.client_id);
      clock.advance(60_001);
      await expectOAuthError(
        await tokenRequest(t.app, {
          grant_type: 'authorization_code',
          code: late.code,
          code_verifier: late.verifier,
          client_id: client.client_id,
          redirect_uri: REDIRECT,
        }),
        400,
        'invalid_grant',
      );
    });

    it('S8: a code works once', async () => {
      const client = await newClient(t);
      const { code, verifier } = await freshCode(client.client_id);
      const fields = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: client.client_id,
        redirect_uri: REDIRECT,
      };
      expect((await tokenRequest(t.app, fields)).status).toBe(200);
      await expectOAuthError(await tokenRequest(t.app, fields), 400, 'invalid_grant');
    });

    it('S8: another client_id, redirect_uri or resource than at authorization is invalid_grant', async () => {
      const client = await newClient(t, {
        redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/other'],
      });
      const other = await newClient(t);
      const { code, verifier } = await freshCode(client.client_id);
      const fields = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: client.client_id,
        redirect_uri: REDIRECT,
      };
      await expectOAuthError(
        await tokenRequest(t.app, { ...fields, client_id: other.client_id }),
        400,
        'invalid_grant',
      );
      for (const redirectUri of [
        'http://127.0.0.1:50124/callback',
        'http://127.0.0.1:50123/other',
        'http://127.0.0.1:50123/callback/',
      ]) {
        await expectOAuthError(
          await tokenRequest(t.app, { ...fields, redirect_uri: redirectUri }),
          400,
          'invalid_grant',
        );
      }
      for (const resource of ['https://elsewhere.example/mcp', 'http://localhost:3000/api', `${MCP_URL}/x`]) {
        await expectOAuthError(await tokenRequest(t.app, { ...fields, resource }), 400, 'invalid_grant');
      }
      // The same resource, with its one allowed trailing slash, is fine — and the code was still unused.
      const ok = await tokenRequest(t.app, { ...fields, resource: `${MCP_URL}/` });
      expect(ok.status).toBe(200);
    });

    it('S10: a second valid exchange fails and revokes what the first one issued', async () => {
      const client = await newClient(t);
      const { code, verifier } = await freshCode(client.client_id);
      const fields = { clientId: client.client_id, code, verifier, redirectUri: REDIRECT };
      const first = await exchangeCode(t, fields);
      const grantId = grantIdOf(first.access_token);
      expect((await grantRow(t, grantId)).revoked_at).toBeNull();

      const replay = await tokenRequest(t.app, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: client.client_id,
        redirect_uri: REDIRECT,
      });
      await expectOAuthError(replay, 400, 'invalid_grant');

      const row = await grantRow(t, grantId);
      expect(row.revoked_at).not.toBeNull();
      await expectOAuthError(await refresh(t, client.client_id, first.refresh_token), 400, 'invalid_grant');
      expect(await countLiveRefreshTokens(t.store.db, grantId, clock.now())).toBe(0);
    });

    it('S10: a replay with a wrong verifier revokes nothing', async () => {
      const client = await newClient(t);
      const { code, verifier } = await freshCode(client.client_id);
      const first = await exchangeCode(t, {
        clientId: client.client_id,
        code,
        verifier,
        redirectUri: REDIRECT,
      });
      const grantId = grantIdOf(first.access_token);

      const { verifier: otherVerifier } = await freshCode(client.client_id);
      await expectOAuthError(
        await tokenRequest(t.app, {
          grant_type: 'authorization_code',
          code,
          code_verifier: otherVerifier,
          client_id: client.client_id,
          redirect_uri: REDIRECT,
        }),
        400,
        'invalid_grant',
      );
      expect((await grantRow(t, grantId)).revoked_at).toBeNull();
      const res = await refresh(t, client.client_id, first.refresh_token);
      expect(res.status).toBe(200);
    });
  });

  describe('refresh_token', () => {
    it('S11: every refresh returns a new refresh token with the same scope and resource', async () => {
      const { client, tokens } = await connectedClient(t);
      let current: Tokens = tokens;
      const seen = new Set([tokens.refresh_token]);
      for (let i = 0; i < 3; i++) {
        const res = await refresh(t, client.client_id, current.refresh_token);
        expect(res.status).toBe(200);
        const next = (await res.json()) as Tokens;
        expect(seen.has(next.refresh_token)).toBe(false);
        seen.add(next.refresh_token);
        expect(next.scope).toBe('mcp:tools');
        expect(next.token_type).toBe('Bearer');
        const claims = decodeJwt(next.access_token);
        expect(claims.aud).toBe(MCP_URL);
        expect(claims.scope).toBe('mcp:tools');
        expect(claims.grant_id).toBe(decodeJwt(tokens.access_token).grant_id);
        current = next;
      }
    });

    it('S12: ten concurrent refreshes with one token all get the same pair; one refresh token stays live', async () => {
      const { client, tokens, grantId } = await connectedClient(t);
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refresh(t, client.client_id, tokens.refresh_token)),
      );
      const bodies = await Promise.all(responses.map((r) => r.json()));
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      const pairs = new Set(bodies.map((b) => `${b.access_token} ${b.refresh_token}`));
      expect(pairs.size).toBe(1);
      expect(bodies[0].refresh_token).not.toBe(tokens.refresh_token);
      expect(await countLiveRefreshTokens(t.store.db, grantId, clock.now())).toBe(1);

      // Inside the grace window the old token still answers with that same pair, changing nothing.
      clock.advance(20_000);
      const late = await refresh(t, client.client_id, tokens.refresh_token);
      expect(late.status).toBe(200);
      expect((await late.json()).refresh_token).toBe(bodies[0].refresh_token);
      expect(await countLiveRefreshTokens(t.store.db, grantId, clock.now())).toBe(1);
      expect((await grantRow(t, grantId)).revoked_at).toBeNull();
    });

    it('S13: a rotated-out token after the 30 s grace window fails and revokes the whole grant', async () => {
      const { client, tokens, grantId } = await connectedClient(t);
      const res = await refresh(t, client.client_id, tokens.refresh_token);
      expect(res.status).toBe(200);
      const successor = (await res.json()) as Tokens;

      clock.advance(30_001);
      await expectOAuthError(await refresh(t, client.client_id, tokens.refresh_token), 400, 'invalid_grant');
      const row = await grantRow(t, grantId);
      expect(row.revoked_at).not.toBeNull();
      expect(row.revoke_reason).toBe('refresh_reuse');
      // The successor, never used, is dead too.
      await expectOAuthError(
        await refresh(t, client.client_id, successor.refresh_token),
        400,
        'invalid_grant',
      );
      expect(await countLiveRefreshTokens(t.store.db, grantId, clock.now())).toBe(0);
    });

    it('S14: a refresh token dies after 30 idle days', async () => {
      const { client, tokens } = await connectedClient(t);
      clock.advance(29 * DAY_MS);
      const res = await refresh(t, client.client_id, tokens.refresh_token);
      expect(res.status).toBe(200);
      const next = (await res.json()) as Tokens;
      clock.advance(30 * DAY_MS + 1);
      await expectOAuthError(await refresh(t, client.client_id, next.refresh_token), 400, 'invalid_grant');
    });

    it('S14: a refresh token dies 90 days after the authorization however often it is used', async () => {
      const { client, tokens } = await connectedClient(t);
      let current = tokens;
      // Used every 29 days: never idle for 30.
      for (const _ of [1, 2, 3]) {
        clock.advance(29 * DAY_MS);
        const res = await refresh(t, client.client_id, current.refresh_token);
        expect(res.status).toBe(200);
        current = (await res.json()) as Tokens;
      }
      // Day 87 → day 89 still works …
      clock.advance(2 * DAY_MS);
      const res = await refresh(t, client.client_id, current.refresh_token);
      expect(res.status).toBe(200);
      current = (await res.json()) as Tokens;
      // … and just past day 90 nothing does.
      clock.advance(DAY_MS + 1);
      await expectOAuthError(await refresh(t, client.client_id, current.refresh_token), 400, 'invalid_grant');
    });

    it('S15: a refresh by another client is invalid_grant and leaves the token usable', async () => {
      const { client, tokens } = await connectedClient(t);
      const other = await newClient(t);
      await expectOAuthError(await refresh(t, other.client_id, tokens.refresh_token), 400, 'invalid_grant');
      expect((await refresh(t, client.client_id, tokens.refresh_token)).status).toBe(200);
    });

    it('S15: a scope outside the grant is invalid_scope; a resource outside it invalid_target', async () => {
      const { client, tokens } = await connectedClient(t);
      for (const scope of ['mcp:admin', 'mcp:tools openid', 'offline_access']) {
        await expectOAuthError(
          await refresh(t, client.client_id, tokens.refresh_token, { scope }),
          400,
          'invalid_scope',
        );
      }
      for (const resource of ['https://elsewhere.example/mcp', `${MCP_URL}/other`]) {
        await expectOAuthError(
          await refresh(t, client.client_id, tokens.refresh_token, { resource }),
          400,
          'invalid_target',
        );
      }
      // The refused requests did not rotate the token; the grant's own scope and resource still work.
      const ok = await refresh(t, client.client_id, tokens.refresh_token, {
        scope: 'mcp:tools',
        resource: MCP_URL,
      });
      expect(ok.status).toBe(200);
      expect(decodeJwt((await ok.json()).access_token).aud).toBe(MCP_URL);
    });
  });

  describe('client authentication', () => {
    async function confidentialFlow(method: 'client_secret_post' | 'client_secret_basic') {
      const client = await newClient(t, { token_endpoint_auth_method: method });
      expect(client.client_secret).toEqual(expect.any(String));
      const { code, verifier } = await freshCode(client.client_id);
      return { client, code, verifier };
    }

    function basic(id: string, secret: string): string {
      return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    }

    it('none: a public client sends only its client_id', async () => {
      const client = await newClient(t, { token_endpoint_auth_method: 'none' });
      expect(client.client_secret).toBeUndefined();
      const { code, verifier } = await freshCode(client.client_id);
      await exchangeCode(t, { clientId: client.client_id, code, verifier, redirectUri: REDIRECT });
    });

    it('client_secret_post works; a wrong or missing secret is 401 invalid_client', async () => {
      const { client, code, verifier } = await confidentialFlow('client_secret_post');
      const fields = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: client.client_id,
        redirect_uri: REDIRECT,
      };
      for (const bad of [{ client_secret: `${client.client_secret}x` }, {}] as Record<string, string>[]) {
        const res = await tokenRequest(t.app, { ...fields, ...bad });
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
        await expectOAuthError(res, 401, 'invalid_client');
      }
      const tokens = await exchangeCode(
        t,
        { clientId: client.client_id, code, verifier, redirectUri: REDIRECT },
        { client_secret: client.client_secret! },
      );
      const res = await refresh(t, client.client_id, tokens.refresh_token, {
        client_secret: client.client_secret!,
      });
      expect(res.status).toBe(200);
    });

    it('client_secret_basic works; a wrong secret or the wrong method is 401 invalid_client', async () => {
      const { client, code, verifier } = await confidentialFlow('client_secret_basic');
      const fields = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      };
      await expectOAuthError(
        await tokenRequest(t.app, fields, { authorization: basic(client.client_id, 'not-the-secret') }),
        401,
        'invalid_client',
      );
      // The secret is right, but sent in the body although the client registered Basic.
      await expectOAuthError(
        await tokenRequest(t.app, {
          ...fields,
          client_id: client.client_id,
          client_secret: client.client_secret!,
        }),
        401,
        'invalid_client',
      );
      const res = await tokenRequest(t.app, fields, {
        authorization: basic(client.client_id, client.client_secret!),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).token_type).toBe('Bearer');
    });
  });

  it('S32: token responses carry Cache-Control: no-store, on success and on error', async () => {
    const { client, tokens } = await connectedClient(t);
    const ok = await refresh(t, client.client_id, tokens.refresh_token);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const errors = [
      await refresh(t, client.client_id, 'no-such-token'),
      await tokenRequest(t.app, { grant_type: 'password', username: 'a', password: 'b' }),
      await tokenRequest(t.app, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'oc_unknown' }),
      await t.request('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    ];
    for (const res of errors) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('S33: grant_type=password (and other grants) → unsupported_grant_type', async () => {
    const client = await newClient(t);
    for (const grantType of ['password', 'client_credentials', 'implicit']) {
      await expectOAuthError(
        await tokenRequest(t.app, {
          grant_type: grantType,
          username: ALICE_EMAIL,
          password: 'correct horse battery',
          client_id: client.client_id,
        }),
        400,
        'unsupported_grant_type',
      );
    }
  });

  it('S24: an unknown client at the token endpoint is 401 invalid_client', async () => {
    const res = await tokenRequest(t.app, {
      grant_type: 'authorization_code',
      code: 'whatever',
      code_verifier: 'a'.repeat(43),
      client_id: 'oc_never_registered',
      redirect_uri: REDIRECT,
    });
    await expectOAuthError(res, 401, 'invalid_client');
  });

  it('stores audit events for registration, consent, token issue, refresh reuse and code replay', async () => {
    const client = await newClient(t, { client_name: 'Audited' });
    const { code, verifier } = await freshCode(client.client_id);
    const tokens = await exchangeCode(t, {
      clientId: client.client_id,
      code,
      verifier,
      redirectUri: REDIRECT,
    });
    const grantId = grantIdOf(tokens.access_token);

    const registered = (await auditEvents(t, 'client.registered')).filter(
      (e) => e.client_id === client.client_id,
    );
    expect(registered).toHaveLength(1);
    expect(JSON.parse(registered[0]!.detail)).toMatchObject({ client_name: 'Audited' });
    const consent = (await auditEvents(t, 'consent.granted')).filter((e) => e.client_id === client.client_id);
    expect(consent).toHaveLength(1);
    expect(consent[0]).toMatchObject({ grant_id: grantId, ip: '203.0.113.10' });
    expect(consent[0]!.user_id).toEqual(expect.any(String));
    const issued = (await auditEvents(t, 'token.issued')).filter((e) => e.grant_id === grantId);
    expect(issued).toHaveLength(1);
    expect(issued[0]!.client_id).toBe(client.client_id);

    // Refresh reuse: rotate, wait out the grace window, present the old token.
    const res = await refresh(t, client.client_id, tokens.refresh_token);
    expect(res.status).toBe(200);
    clock.advance(31_000);
    await expectOAuthError(await refresh(t, client.client_id, tokens.refresh_token), 400, 'invalid_grant');
    const reuse = (await auditEvents(t, 'refresh.reuse_detected')).filter((e) => e.grant_id === grantId);
    expect(reuse).toHaveLength(1);
    expect(reuse[0]!.client_id).toBe(client.client_id);

    // Code replay, on a new grant.
    const second = await freshCode(client.client_id);
    const secondTokens = await exchangeCode(t, {
      clientId: client.client_id,
      ...second,
      redirectUri: REDIRECT,
    });
    const secondGrant = grantIdOf(secondTokens.access_token);
    await expectOAuthError(
      await tokenRequest(t.app, {
        grant_type: 'authorization_code',
        code: second.code,
        code_verifier: second.verifier,
        client_id: client.client_id,
        redirect_uri: REDIRECT,
      }),
      400,
      'invalid_grant',
    );
    const replay = (await auditEvents(t, 'code.replay_detected')).filter((e) => e.grant_id === secondGrant);
    expect(replay).toHaveLength(1);
    // Nothing secret is in the trail.
    const all = await t.store.db.selectFrom('audit_events').select(['detail']).execute();
    const text = JSON.stringify(all);
    for (const secret of [tokens.refresh_token, second.code, secondTokens.refresh_token]) {
      expect(text).not.toContain(secret);
    }
  });
});

const ALICE_EMAIL = 'alice@example.com';
