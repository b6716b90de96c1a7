#!/usr/bin/env node
// A stand-in browser for CLI OAuth clients (mcp-remote opens the authorization URL through
// `open` → xdg-open → $BROWSER). Run as `BROWSER="<node> <this file>"` with the account in
// FOLLOW_FORMS_EMAIL / FOLLOW_FORMS_PASSWORD. It opens the URL over real HTTP (a cookie jar,
// redirects followed by hand), fills the server's real sign-in and consent forms, and finally
// requests the client's loopback callback URL, as a browser would, so the client receives the
// code. Every hop is appended to FOLLOW_FORMS_LOG when set (the client hides our output).
import { appendFileSync } from 'node:fs';

const start = new URL(process.argv[2] ?? '');
const credentials = {
  email: process.env.FOLLOW_FORMS_EMAIL ?? '',
  password: process.env.FOLLOW_FORMS_PASSWORD ?? '',
};
const logFile = process.env.FOLLOW_FORMS_LOG;
const note = (line) => {
  if (logFile) appendFileSync(logFile, `${line}\n`);
};

const cookies = new Map();
function takeCookies(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) cookies.delete(name);
    else cookies.set(name, value);
  }
}

function inputValue(html, name) {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no input named ${name} in the page`);
  const entities = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };
  return match[1].replace(/&(amp|quot|#39|lt|gt);/g, (entity) => entities[entity]);
}

async function send(method, url, form) {
  const headers = { accept: 'text/html' };
  if (cookies.size) headers.cookie = [...cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(url, {
    method,
    headers,
    redirect: 'manual',
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  takeCookies(res);
  note(`${method} ${url.href} -> ${res.status} ${res.headers.get('location') ?? ''}`);
  return res;
}

async function follow() {
  const origin = start.origin;
  let current = start;
  let res = await send('GET', current);
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      const target = new URL(res.headers.get('location') ?? '', current);
      await res.body?.cancel();
      const ours = target.pathname.startsWith('/authorize') || target.pathname.startsWith('/signin');
      if (target.origin !== origin || !ours) return target;
      current = target;
      res = await send('GET', current);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`stopped at ${res.status} ${current.href}: ${html.slice(0, 300)}`);
    if (html.includes('name="password"')) {
      current = new URL('/signin', origin);
      res = await send('POST', current, {
        ...credentials,
        csrf: inputValue(html, 'csrf'),
        return_to: inputValue(html, 'return_to'),
      });
      continue;
    }
    if (html.includes('name="decision"')) {
      current = new URL('/authorize/decision', origin);
      res = await send('POST', current, {
        pending: inputValue(html, 'pending'),
        csrf: inputValue(html, 'csrf'),
        decision: process.env.FOLLOW_FORMS_DECISION ?? 'allow',
      });
      continue;
    }
    throw new Error(`unexpected page at ${current.href}: ${html.slice(0, 300)}`);
  }
  throw new Error('too many hops');
}

try {
  const callback = await follow();
  // The client's own loopback server: deliver the code (or error) to it as the browser would.
  const res = await fetch(callback, { redirect: 'manual' });
  note(`GET ${callback.href} -> ${res.status} (callback)`);
  await res.body?.cancel();
} catch (error) {
  note(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
