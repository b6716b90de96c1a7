import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { json, teamWorkspace } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

describe(`secrets never reach the logs (S37) [${testDialect}]`, () => {
  let t: TestApp;
  const lines: string[] = [];
  let request: (path: string, init?: RequestInit) => Promise<Response>;

  beforeAll(async () => {
    t = await createTestApp();
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // The same store, a logger at trace level that records every line.
    const config = loadConfig({
      DATA_DIR: t.config.dataDir,
      USERPLANE_SECRET: t.config.secret,
      LOG_LEVEL: 'trace',
    });
    const { app } = buildApp({ config, store: t.store, log: pino({ level: 'trace' }, sink) });
    request = async (path, init) => app.request(path, init);
  });
  afterAll(async () => t.close());

  it('API keys used, created and rotated do not appear in any log line', async () => {
    const team = await teamWorkspace(t.deps);
    await request('/api/v1/public/me', { headers: team.owner.headers });
    const created = await (
      await request('/api/v1/public/api-keys', json('POST', team.owner, { name: 'x' }))
    ).json();
    const rotated = await (
      await request(`/api/v1/public/api-keys/${created.data.keyId}/rotate`, json('POST', team.owner))
    ).json();
    await request('/api/v1/public/me', { headers: { authorization: `Bearer ${created.data.key}` } });
    await request('/files/rec_x/video.webm?exp=99999999999&sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const all = lines.join('');
    expect(lines.length).toBeGreaterThan(3);
    for (const secret of [team.owner.secret, created.data.key, rotated.data.key, t.config.secret]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.slice(5, 25));
    }
    expect(all).not.toContain('sig=');
  });
});
