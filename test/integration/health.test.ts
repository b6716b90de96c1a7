import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('/readyz checks the database and names it', async () => {
    const res = await t.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: testDialect });
  });

  it('/readyz answers 503 when the database is gone', async () => {
    const other = await createTestApp();
    await other.store.close();
    const res = await other.request('/readyz');
    expect(res.status).toBe(503);
    expect((await res.json()).error).toBe('SERVICE_UNAVAILABLE');
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
