import { expect } from 'vitest';
import { followFormsBrowser } from './listening-app.ts';
import { pkcePair } from './oauth-driver.ts';
import { ALICE } from './oauth-scenarios.ts';

// The OAuth flow against a listening server, over real HTTP, as a public client would run it.

/** Registers a client, authorizes it through the forms over HTTP and exchanges the code. */
export async function tokensOverHttp(
  server: string,
  name: string,
  port: number,
  credentials: { email: string; password: string } = ALICE,
) {
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const registered = await fetch(`${server}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  expect(registered.status).toBe(201);
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const { verifier, challenge } = pkcePair();
  const authorize = new URL(`${server}/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'mcp:tools',
    state: 'st',
  }).toString();
  const callback = await followFormsBrowser(authorize, credentials);
  const res = await fetch(`${server}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: redirectUri,
    }).toString(),
  });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as { access_token: string; refresh_token: string };
  return { clientId, ...tokens };
}
