import { expect, it } from 'vitest';
import { createUser } from '../../src/services/users.ts';
import { pkcePair } from '../helpers/oauth-driver.ts';
import { hiddenValue } from '../helpers/page-browser.ts';
import { startServerProcesses } from '../helpers/server-processes.ts';

it('stress', async () => {
  const procs = await startServerProcesses(2, {
    beforeStart: ({ withDeps }) =>
      withDeps((d) => createUser(d, { email: 'a@example.com', password: 'correct horse battery' })),
  });
  try {
    const A = procs.urls[0]!;
    const reg = (await (
      await fetch(`${A}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'x',
          redirect_uris: ['http://127.0.0.1:5/cb'],
          token_endpoint_auth_method: 'none',
        }),
      })
    ).json()) as any;
    const cookies = new Map<string, string>();
    const req = async (url: string, init: RequestInit = {}) => {
      const h = new Headers(init.headers);
      if (cookies.size) h.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const r = await fetch(url, { ...init, headers: h, redirect: 'manual' });
      for (const l of r.headers.getSetCookie()) {
        const [p = ''] = l.split(';');
        const i = p.indexOf('=');
        cookies.set(p.slice(0, i), p.slice(i + 1));
      }
      return r;
    };
    const dist: Record<number, number> = {};
    for (let n = 0; n < 25; n++) {
      const { verifier, challenge } = pkcePair();
      let url =
        `${A}/authorize?` +
        new URLSearchParams({
          response_type: 'code',
          client_id: reg.client_id,
          redirect_uri: 'http://127.0.0.1:5/cb',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          scope: 'mcp:tools',
        });
      let r = await req(url);
      let code = '';
      for (let h = 0; h < 10; h++) {
        if (r.status >= 300 && r.status < 400) {
          const t = new URL(r.headers.get('location')!, url);
          if (t.origin !== A) {
            code = t.searchParams.get('code')!;
            break;
          }
          url = t.href;
          r = await req(url);
          continue;
        }
        const html = await r.text();
        if (html.includes('name="password"')) {
          url = `${A}/signin`;
          r = await req(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              email: 'a@example.com',
              password: 'correct horse battery',
              csrf: hiddenValue(html, 'csrf'),
              return_to: hiddenValue(html, 'return_to'),
            }).toString(),
          });
          continue;
        }
        url = `${A}/authorize/decision`;
        r = await req(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            pending: hiddenValue(html, 'pending'),
            csrf: hiddenValue(html, 'csrf'),
            decision: 'allow',
          }).toString(),
        });
      }
      const res = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${procs.urls[i % 2]}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'authorization_code',
              code,
              code_verifier: verifier,
              client_id: reg.client_id,
              redirect_uri: 'http://127.0.0.1:5/cb',
            }).toString(),
          }).then(async (x) => ({ s: x.status, b: await x.json() })),
        ),
      );
      const ok = res.filter((x) => x.s === 200).length;
      dist[ok] = (dist[ok] ?? 0) + 1;
      if (ok !== 1) console.log(res.map((x) => x.b.error_description ?? 'ok'));
    }
    console.log(dist);
    expect(dist[1]).toBe(25);
  } finally {
    await procs.stop();
  }
}, 300_000);
