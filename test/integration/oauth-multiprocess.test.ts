import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/crypto.ts';
import { createUser } from '../../src/services/users.ts';
import type { Store } from '../../src/store/db.ts';
import { pkcePair } from '../helpers/oauth-driver.ts';
import { hiddenValue } from '../helpers/page-browser.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { testDialect } from '../helpers/test-app.ts';

// S9 and S12 are about correctness under concurrency "with many server processes on one
// PostgreSQL" (issue 3): code redemption and refresh rotation must be single conditional updates,
// not in-process locks. These tests start the real bin as separate processes and race real HTTP
// requests against them.

const ALICE = { email: 'alice@example.com', password: 'correct horse battery' };
const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

/** A cookie-keeping browser over real HTTP that does not follow redirects on its own. */
class HttpBrowser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  postForm(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/**
 * Follows /authorize → sign-in form → consent form → the 302 to the client over real HTTP against
 * one server, and returns the authorization response URL.
 */
async function authorizeOverHttp(browser: HttpBrowser, server: string, authorizeQuery: URLSearchParams) {
  let url = `${server}/authorize?${authorizeQuery}`;
  let res = await browser.request(url);
  for (let hops = 0; hops < 10; hops++) {
    if (res.status === 302 || res.status === 303) {
      const target = new URL(res.headers.get('location')!, url);
      const ours = target.origin === new URL(server).origin;
      if (!ours || !/^\/(authorize|signin)/.test(target.pathname)) return target;
      url = target.href;
      res = await browser.request(url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization stopped at ${res.status}: ${html.slice(0, 300)}`);
    if (html.includes('name="password"')) {
      url = `${server}/signin`;
      res = await browser.postForm(url, {
        email: ALICE.email,
        password: ALICE.password,
        csrf: hiddenValue(html, 'csrf'),
        return_to: hiddenValue(html, 'return_to'),
      });
      continue;
    }
    if (html.includes('name="decision"')) {
      url = `${server}/authorize/decision`;
      res = await browser.postForm(url, {
        pending: hiddenValue(html, 'pending'),
        csrf: hiddenValue(html, 'csrf'),
        decision: 'allow',
      });
      continue;
    }
    throw new Error(`unexpected page: ${html.slice(0, 300)}`);
  }
  throw new Error('too many hops');
}

async function registerOverHttp(server: string, name: string): Promise<string> {
  const res = await fetch(`${server}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { client_id: string }).client_id;
}

function tokenOverHttp(server: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${server}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

interface Outcome {
  status: number;
  body: Record<string, string>;
}

async function outcome(res: Response): Promise<Outcome> {
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

// One set of processes for the file (starting the bin is the slow part): two on PostgreSQL, whose
// second only the two-process races use; one on SQLite. One user, created on the database before
// the servers start; each test registers its own client, so the races never share a grant.
let procs: ServerProcesses;
let store: Store;
const browser = new HttpBrowser();

beforeAll(async () => {
  procs = await startServerProcesses(testDialect === 'postgres' ? 2 : 1, {
    beforeStart: ({ withDeps }) => withDeps((deps) => createUser(deps, { ...ALICE, name: 'Alice' })),
  });
  store = procs.openStore();
});
afterAll(async () => {
  await store?.close();
  await procs?.stop();
});

/** The races of S9/S10 and S12 against `count` of the processes (requests alternate between them). */
function raceSuite(label: string, count: number) {
  describe(label, () => {
    let servers: string[];
    beforeAll(() => {
      servers = procs.urls.slice(0, count);
      expect(servers).toHaveLength(count);
    });

    /** A fresh client and a code for it, authorized through the forms on the first process. */
    async function freshCode(name: string) {
      const clientId = await registerOverHttp(servers[0]!, name);
      const { verifier, challenge } = pkcePair();
      const callback = await authorizeOverHttp(
        browser,
        servers[0]!,
        new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: REDIRECT_URI,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: `state-${name}`,
          scope: 'mcp:tools',
        }),
      );
      expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
      expect(callback.searchParams.get('iss')).toBe(procs.publicUrl);
      const code = callback.searchParams.get('code');
      expect(code).toBeTruthy();
      return { clientId, verifier, code: code! };
    }

    const serverFor = (i: number) => servers[i % servers.length]!;

    async function grantOf(refreshToken: string) {
      const row = await store.db
        .selectFrom('oauth_refresh_tokens')
        .select('grant_id')
        .where('token_hash', '=', sha256Hex(refreshToken))
        .executeTakeFirstOrThrow();
      return store.db
        .selectFrom('oauth_grants')
        .selectAll()
        .where('id', '=', row.grant_id)
        .executeTakeFirstOrThrow();
    }

    it('S9, S10: twenty concurrent exchanges of one code give exactly one success, and the replay revokes what it issued', async () => {
      const { clientId, verifier, code } = await freshCode('s9');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tokenOverHttp(serverFor(i), {
            grant_type: 'authorization_code',
            code,
            code_verifier: verifier,
            client_id: clientId,
            redirect_uri: REDIRECT_URI,
          }).then(outcome),
        ),
      );
      const wins = results.filter((r) => r.status === 200);
      const losses = results.filter((r) => r.status !== 200);
      expect(wins).toHaveLength(1);
      expect(losses).toHaveLength(19);
      for (const loss of losses) {
        expect(loss.status).toBe(400);
        expect(loss.body.error).toBe('invalid_grant');
      }
      const issued = wins[0]!.body;
      expect(issued.refresh_token).toBeTruthy();

      // S10: the replays revoked the grant, so nothing issued from the code works any more: the
      // grant (which the resource server checks for every access token) is revoked, its refresh
      // token is refused by every process.
      const grant = await grantOf(issued.refresh_token!);
      expect(decodeJwt(issued.access_token!).grant_id).toBe(grant.id);
      expect(grant.revoked_at).not.toBeNull();
      expect(grant.revoke_reason).toBe('code_replay');
      for (const server of servers) {
        const refresh = await outcome(
          await tokenOverHttp(server, {
            grant_type: 'refresh_token',
            refresh_token: issued.refresh_token!,
            client_id: clientId,
          }),
        );
        expect(refresh.status).toBe(400);
        expect(refresh.body.error).toBe('invalid_grant');
      }
      const live = await store.db
        .selectFrom('oauth_refresh_tokens')
        .select('id')
        .where('grant_id', '=', grant.id)
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toEqual([]);
    });

    it('S12: ten concurrent refreshes of one token all get the same new pair, and one refresh token stays live', async () => {
      const { clientId, verifier, code } = await freshCode('s12');
      const exchanged = await outcome(
        await tokenOverHttp(servers[0]!, {
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          client_id: clientId,
          redirect_uri: REDIRECT_URI,
        }),
      );
      expect(exchanged.status).toBe(200);
      const first = exchanged.body;
      const grant = await grantOf(first.refresh_token!);
      expect(grant.revoked_at).toBeNull();

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          tokenOverHttp(serverFor(i), {
            grant_type: 'refresh_token',
            refresh_token: first.refresh_token!,
            client_id: clientId,
          }).then(outcome),
        ),
      );
      for (const r of results) expect(r.status).toBe(200);
      const next = results[0]!.body;
      expect(next.refresh_token).not.toBe(first.refresh_token);
      expect(next.access_token).not.toBe(first.access_token);
      for (const r of results) {
        expect(r.body.access_token).toBe(next.access_token);
        expect(r.body.refresh_token).toBe(next.refresh_token);
      }

      const liveRows = () =>
        store.db
          .selectFrom('oauth_refresh_tokens')
          .select('token_hash')
          .where('grant_id', '=', grant.id)
          .where('rotated_at', 'is', null)
          .where('revoked_at', 'is', null)
          .execute();
      expect(await liveRows()).toEqual([{ token_hash: sha256Hex(next.refresh_token!) }]);

      // The new refresh token works on each process in turn, and the chain keeps one live token.
      let current = next.refresh_token!;
      for (const server of servers) {
        const refreshed = await outcome(
          await tokenOverHttp(server, {
            grant_type: 'refresh_token',
            refresh_token: current,
            client_id: clientId,
          }),
        );
        expect(refreshed.status).toBe(200);
        expect(refreshed.body.refresh_token).not.toBe(current);
        current = refreshed.body.refresh_token!;
      }
      expect(await liveRows()).toEqual([{ token_hash: sha256Hex(current) }]);
      expect((await grantOf(current)).revoked_at).toBeNull();
    });

    it("an access token issued by the first process verifies against every process's JWKS", async () => {
      const { clientId, verifier, code } = await freshCode('jwks');
      const issued = await outcome(
        await tokenOverHttp(servers[0]!, {
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          client_id: clientId,
          redirect_uri: REDIRECT_URI,
        }),
      );
      expect(issued.status).toBe(200);
      const token = issued.body.access_token!;
      const { kid } = decodeProtectedHeader(token);
      for (const server of servers) {
        const metadata = (await (await fetch(`${server}/.well-known/oauth-authorization-server`)).json()) as {
          issuer: string;
          jwks_uri: string;
        };
        expect(metadata.issuer).toBe(procs.publicUrl);
        // The advertised jwks_uri names the shared PUBLIC_URL; fetch this process's own copy.
        const jwksUrl = new URL(new URL(metadata.jwks_uri).pathname, server);
        const jwks = (await (await fetch(jwksUrl)).json()) as { keys: Array<{ kid: string }> };
        expect(jwks.keys.map((k) => k.kid)).toContain(kid);
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as JSONWebKeySet), {
          issuer: procs.publicUrl,
          audience: `${procs.publicUrl}/mcp`,
          typ: 'at+jwt',
          algorithms: ['ES256'],
        });
        expect(payload.client_id).toBe(clientId);
      }
    });
  });
}

// Two processes on one database is a PostgreSQL deployment only: the SQLite database is a file in
// one server's DATA_DIR and single-process by design (one writer, in-process caches and limits),
// so a second `userplane serve` on the same file is not a supported setup to prove anything on.
describe.runIf(testDialect === 'postgres')('two server processes on one PostgreSQL', () => {
  raceSuite('processes A and B', 2);
});

// The same races against one process, on whichever database this run uses (SQLite by default).
describe(`one server process [${testDialect}]`, () => {
  raceSuite('process A', 1);
});
