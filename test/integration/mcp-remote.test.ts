import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConnectedApps } from '../../src/services/oauth/grants.ts';
import { createUser } from '../../src/services/users.ts';
import { freePort, type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { testDialect } from '../helpers/test-app.ts';

// `mcp-remote-client` (npm mcp-remote), the CLI many desktop MCP clients use to reach remote
// servers, against a real listening server: discovery, DCR, the browser step (BROWSER = a script
// that follows the real sign-in and consent forms, then calls the client's loopback callback),
// the code exchange, and tools/list over /mcp with the token it obtained.

const ROOT = join(import.meta.dirname, '../..');
const CLIENT = join(ROOT, 'node_modules/mcp-remote/dist/client.js');
const BROWSER_SCRIPT = join(ROOT, 'test/helpers/browser-follow-forms.mjs');
const RUN_TIMEOUT_MS = 45_000;

describe(`mcp-remote-client completes OAuth and lists the tools [${testDialect}]`, () => {
  let server: ListeningApp;
  let home: string;
  const alice = { email: 'alice@example.com', password: 'correct horse battery staple' };
  let aliceId: string;

  beforeAll(async () => {
    server = await startListeningApp();
    aliceId = (await createUser(server.t.deps, { ...alice, name: 'Alice' })).id;
    home = mkdtempSync(join(tmpdir(), 'userplane-mcp-remote-'));
  });
  afterAll(async () => {
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function runClient(
    callbackPort: number,
  ): Promise<{ code: number | null; output: string; browserLog: string }> {
    const browserLog = join(home, `browser-${callbackPort}.log`);
    const env: Record<string, string | undefined> = {
      ...process.env,
      // Its token store and logs go to a temporary directory, never the user's ~/.mcp-auth.
      HOME: home,
      MCP_REMOTE_CONFIG_DIR: join(home, 'mcp-auth'),
      // `open` runs its bundled xdg-open, which uses $BROWSER when no desktop is detected.
      BROWSER: `${process.execPath} ${BROWSER_SCRIPT}`,
      FOLLOW_FORMS_EMAIL: alice.email,
      FOLLOW_FORMS_PASSWORD: alice.password,
      FOLLOW_FORMS_LOG: browserLog,
    };
    for (const name of [
      'DISPLAY',
      'WAYLAND_DISPLAY',
      'XDG_CURRENT_DESKTOP',
      'DESKTOP_SESSION',
      'KDE_FULL_SESSION',
    ]) {
      delete env[name];
    }
    const child = spawn(process.execPath, [CLIENT, `${server.url}/mcp`, String(callbackPort)], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output, browserLog: existsSync(browserLog) ? readFileSync(browserLog, 'utf8') : '' });
      });
    });
  }

  it('registers, signs in and consents through the forms, gets a token and lists the tools', async () => {
    const run = await runClient(await freePort());
    const context = `\n--- client output ---\n${run.output}\n--- browser ---\n${run.browserLog}`;
    expect(run.code, context).toBe(0);
    expect(run.output, context).toContain('Connected successfully');
    // tools/list answered over /mcp with the token mcp-remote obtained.
    expect(run.output, context).toMatch(/"name": "userplane_get_profile"/);
    // The browser went through the real sign-in form and the consent form, then to the callback.
    expect(run.browserLog).toMatch(/^POST .*\/signin -> 303/m);
    expect(run.browserLog).toMatch(/^POST .*\/authorize\/decision -> 303/m);
    expect(run.browserLog).toMatch(
      /^GET http:\/\/localhost:\d+\/oauth\/callback\?code=.* -> 200 \(callback\)/m,
    );
    // The server recorded the grant for Alice's account under the client's registered name.
    const apps = await listConnectedApps(server.t.deps, aliceId);
    expect(apps.map((a) => ({ name: a.name, status: a.status }))).toEqual([
      { name: 'MCP CLI Client', status: 'active' },
    ]);
  });
});
