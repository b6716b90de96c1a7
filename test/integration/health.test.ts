import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { startServer } from '../../src/main.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

describe(`health endpoints [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('/healthz says the process is up', async () => {
    const res = await t.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks the database and the file store and names them', async () => {
    const res = await t.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: testDialect, files: 'fs' });
  });

  it('/readyz answers 503 when the database is gone', async () => {
    const other = await createTestApp();
    await other.store.close();
    const res = await other.request('/readyz');
    expect(res.status).toBe(503);
    expect((await res.json()).error).toBe('SERVICE_UNAVAILABLE');
  });

  describe('with STORAGE=s3', () => {
    let s3: TestS3Server;
    beforeAll(async () => {
      s3 = await startS3Server();
    });
    afterAll(async () => {
      await s3?.stop();
    });

    it('/readyz checks the bucket, and answers 503 naming the file store when it cannot be used', async () => {
      const good = await createTestApp({ env: s3.env });
      const missing = await createTestApp({ env: { ...s3.env, S3_BUCKET: 'no-such-bucket' } });
      try {
        const ok = await good.request('/readyz');
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ status: 'ready', database: testDialect, files: 's3' });

        const res = await missing.request('/readyz');
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        const body = await res.json();
        expect(body).toMatchObject({ error: 'SERVICE_UNAVAILABLE', files: 's3' });
        expect(body.message).toBe('The file store (S3 bucket) is not reachable');
        // The public answer does not say which bucket or endpoint (that is in the log).
        expect(JSON.stringify(body)).not.toContain('no-such-bucket');
      } finally {
        await good.close();
        await missing.close();
      }
    });

    it('a server whose bucket cannot be used does not start, and says which setting to fix', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'userplane-nobucket-'));
      try {
        const config = loadConfig({
          ...s3.env,
          S3_BUCKET: 'no-such-bucket',
          DATA_DIR: dataDir,
          PORT: '1',
          USERPLANE_SECRET: 'test-secret-test-secret-test-secret-0123456789',
          LOG_LEVEL: 'silent',
        });
        const started = startServer(config, silentLogger());
        await expect(started).rejects.toBeInstanceOf(ConfigError);
        await expect(started).rejects.toThrow(
          `file storage (STORAGE=s3): S3_BUCKET "no-such-bucket" is not usable: there is no such bucket at ${s3.endpoint} (S3_ENDPOINT)`,
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('/readyz trusts a successful bucket check for a few seconds, so polling stays cheap', async () => {
      const app = await createTestApp({ env: s3.env });
      try {
        expect((await app.request('/readyz')).status).toBe(200);
        // The bucket goes away: answers within the cache window still say ready.
        await s3.stop();
        const started = performance.now();
        expect((await app.request('/readyz')).status).toBe(200);
        expect(performance.now() - started).toBeLessThan(500);
      } finally {
        await app.close();
        s3 = await startS3Server();
      }
    });
  });

  it('serves the OpenAPI 3.1 document and a self-contained reference page', async () => {
    const doc = await (await t.request('/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/public/me');
    const page = await t.request('/api/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/public/api-keys');
    // Nothing from other origins: no absolute URLs in src or href attributes.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const res = await t.request('/api/v1/public/nothing-here', { headers: { authorization: 'Bearer x' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await res.json()).error).toBeDefined();
  });
});
