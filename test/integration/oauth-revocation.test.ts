import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countLiveRefreshTokens } from '../../src/store/oauth-grants.ts';
import {
  auditEvents,
  connectedClient,
  exchangeCode,
  expectOAuthError,
  grantIdOf,
  grantRow,
  newClient,
  oauthTestApp,
  obtainCode,
  refresh,
} from '../helpers/oauth-scenarios.ts';
import { type TestApp, testDialect } from '../helpers/test-app.ts';

function revoke(t: TestApp, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return t.request('/revoke', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

describe(`OAuth revocation endpoint [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await oauthTestApp();
  });
  afterAll(async () => t.close());

  it('S36: revoking a refresh token ends its grant', async () => {
    const { client, tokens, grantId } = await connectedClient(t);
    const res = await revoke(t, {
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const row = await grantRow(t, grantId);
    expect(row.revoked_at).not.toBeNull();
    expect(await countLiveRefreshTokens(t.store.db, grantId, Date.now())).toBe(0);
    await expectOAuthError(await refresh(t, client.client_id, tokens.refresh_token), 400, 'invalid_grant');
    const events = (await auditEvents(t, 'token.revoked')).filter((e) => e.grant_id === grantId);
    expect(events).toHaveLength(1);
    // Revoking it again is still 200.
    expect((await revoke(t, { token: tokens.refresh_token, client_id: client.client_id })).status).toBe(200);
  });

  it('S36: revoking an access token ends its grant too; a wrong hint does not matter', async () => {
    const { client, tokens, grantId } = await connectedClient(t);
    const res = await revoke(t, {
      token: tokens.access_token,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(res.status).toBe(200);
    expect((await grantRow(t, grantId)).revoked_at).not.toBeNull();
    await expectOAuthError(await refresh(t, client.client_id, tokens.refresh_token), 400, 'invalid_grant');
  });

  it('S36: an unknown token answers 200 and changes nothing', async () => {
    const { client, tokens, grantId } = await connectedClient(t);
    for (const token of [
      'no-such-token',
      'a.b.c',
      tokens.refresh_token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
    ]) {
      const res = await revoke(t, { token, client_id: client.client_id });
      expect(res.status).toBe(200);
    }
    expect((await grantRow(t, grantId)).revoked_at).toBeNull();
    expect((await refresh(t, client.client_id, tokens.refresh_token)).status).toBe(200);
  });

  it("S36: client B cannot revoke client A's tokens; A's keep working", async () => {
    const a = await connectedClient(t);
    const b = await connectedClient(t);
    for (const token of [a.tokens.refresh_token, a.tokens.access_token]) {
      const res = await revoke(t, { token, client_id: b.client.client_id });
      // RFC 7009 §2.2: the same answer as for any token, so B learns nothing.
      expect(res.status).toBe(200);
    }
    expect((await grantRow(t, a.grantId)).revoked_at).toBeNull();
    expect((await grantRow(t, b.grantId)).revoked_at).toBeNull();
    const res = await refresh(t, a.client.client_id, a.tokens.refresh_token);
    expect(res.status).toBe(200);
    expect(grantIdOf((await res.json()).access_token)).toBe(a.grantId);
    const events = (await auditEvents(t, 'token.revoked')).filter((e) => e.grant_id === a.grantId);
    expect(events).toHaveLength(0);
  });

  it("S36: revoking one grant leaves the same user's other grants working", async () => {
    const a = await connectedClient(t);
    const b = await connectedClient(t);
    expect((await revoke(t, { token: a.tokens.refresh_token, client_id: a.client.client_id })).status).toBe(
      200,
    );
    expect((await grantRow(t, a.grantId)).revoked_at).not.toBeNull();
    expect((await refresh(t, b.client.client_id, b.tokens.refresh_token)).status).toBe(200);
  });

  it('a confidential client must authenticate to revoke: a wrong secret is 401 invalid_client', async () => {
    const client = await newClient(t, { token_endpoint_auth_method: 'client_secret_post' });
    const redirectUri = 'http://127.0.0.1:50200/callback';
    const { code, verifier } = await obtainCode(t, { clientId: client.client_id, redirectUri });
    const tokens = await exchangeCode(
      t,
      { clientId: client.client_id, code, verifier, redirectUri },
      { client_secret: client.client_secret! },
    );
    const grantId = grantIdOf(tokens.access_token);
    for (const bad of [{ client_secret: 'wrong' }, {}] as Record<string, string>[]) {
      const res = await revoke(t, { token: tokens.refresh_token, client_id: client.client_id, ...bad });
      await expectOAuthError(res, 401, 'invalid_client');
    }
    expect((await grantRow(t, grantId)).revoked_at).toBeNull();
    const ok = await revoke(t, {
      token: tokens.refresh_token,
      client_id: client.client_id,
      client_secret: client.client_secret!,
    });
    expect(ok.status).toBe(200);
    expect((await grantRow(t, grantId)).revoked_at).not.toBeNull();
  });

  it('S32: revocation responses carry Cache-Control: no-store, on success and on error', async () => {
    const { client, tokens } = await connectedClient(t);
    const ok = await revoke(t, { token: tokens.refresh_token, client_id: client.client_id });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const missingToken = await revoke(t, { client_id: client.client_id });
    expect(missingToken.headers.get('cache-control')).toBe('no-store');
    await expectOAuthError(missingToken, 400, 'invalid_request');
    const unknownClient = await revoke(t, { token: 'x', client_id: 'oc_unknown' });
    expect(unknownClient.headers.get('cache-control')).toBe('no-store');
    await expectOAuthError(unknownClient, 401, 'invalid_client');
    const notForm = await t.request('/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'x' }),
    });
    expect(notForm.status).toBe(400);
    expect(notForm.headers.get('cache-control')).toBe('no-store');
  });
});
