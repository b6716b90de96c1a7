import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { FormsBrowser } from '../bench/oauth-client.ts';

// Runs the conformance suite's authorization-server scenarios (`conformance authorization`,
// @modelcontextprotocol/conformance ≥ 0.2.0-alpha) against our OAuth server with nobody at a
// browser. The suite's authorization-code scenario prints an authorization URL and waits for a
// person to sign in and consent, then for the redirect at http://127.0.0.1:<port>/callback, where
// it listens. This driver registers a public client for that redirect URI (DCR, as MCP clients
// do), runs the suite, and when the URL appears completes the real sign-in and consent forms
// (bench/oauth-client.ts's FormsBrowser) and delivers the redirect to the suite's callback server.
// The suite then exchanges the code itself (PKCE, redirect_uri, resource) and checks the answers.
//
//   node --import tsx scripts/conformance-authorization.ts --target http://127.0.0.1:3000 \
//     --email E --password P --port 4567 -- npx -y -p node@22 -p @modelcontextprotocol/conformance@V conformance
// Exits with the suite's status.

const { values, positionals } = parseArgs({
  options: {
    target: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    port: { type: 'string' },
    output: { type: 'string' },
  },
  allowPositionals: true,
});
if (!values.target || !values.email || !values.password || !values.port || positionals.length === 0) {
  console.error(
    'usage: conformance-authorization.ts --target URL --email E --password P --port N [--output DIR] -- <suite command>',
  );
  process.exit(2);
}
const base = new URL(values.target).origin;
const redirectUri = `http://127.0.0.1:${values.port}/callback`;

const registration = await fetch(`${base}/register`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    client_name: 'MCP conformance suite (authorization)',
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }),
});
const client = (await registration.json()) as { client_id?: string };
if (registration.status !== 201 || !client.client_id) {
  console.error(`client registration failed: ${registration.status} ${JSON.stringify(client)}`);
  process.exit(1);
}

const [command, ...args] = positionals as [string, ...string[]];
const suite = spawn(
  command,
  [
    ...args,
    'authorization',
    '--url',
    base,
    '--client-id',
    client.client_id,
    '--resource',
    `${base}/mcp`,
    '--port',
    values.port,
    ...(values.output ? ['-o', values.output] : []),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const browser = new FormsBrowser(base, { email: values.email, password: values.password });
let browsing: Promise<void> = Promise.resolve();
createInterface({ input: suite.stdout! }).on('line', (line) => {
  console.log(line);
  const url = line.trim();
  if (!url.startsWith(`${base}/authorize?`)) return;
  browsing = (async () => {
    // The forms end in a redirect to the client: the suite's callback server, with the code.
    const callback = await browser.authorize(url);
    if (callback.origin !== new URL(redirectUri).origin)
      throw new Error(`the authorization ended at ${callback.href}, not at ${redirectUri}`);
    const delivered = await fetch(callback);
    await delivered.body?.cancel();
  })().catch((error: unknown) => {
    console.error(`driving the authorization failed: ${error instanceof Error ? error.message : error}`);
    suite.kill('SIGTERM');
  });
});
const status = await new Promise<number>((resolve) => suite.on('close', (code) => resolve(code ?? 1)));
await browsing;
process.exit(status);
