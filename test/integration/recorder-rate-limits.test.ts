import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STARTS_PER_ADDRESS_PER_10_MIN, STARTS_PER_LINK_PER_HOUR } from '../../src/http/recorder/api.ts';
import { API, jsonInit, recorderLink, startBody } from '../helpers/builders-recorder.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// Starting recordings is public, so it is rate-limited per address and per link: 429 with
// Retry-After, and nothing created by a refused start.

describe(`recorder start limits [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A start from `ip` (the socket address the server sees). */
  const startFrom = (linkId: string, ip: string) =>
    t.app.request(`${API}/links/${linkId}/recordings`, jsonInit('POST', startBody(1000)), {
      incoming: { socket: { remoteAddress: ip } },
    });

  it(`limits starts per address (${STARTS_PER_ADDRESS_PER_10_MIN} per 10 minutes) and per link (${STARTS_PER_LINK_PER_HOUR} per hour)`, async () => {
    const link = await recorderLink(t.deps, { reusable: true });
    for (let i = 0; i < STARTS_PER_ADDRESS_PER_10_MIN; i++) {
      expect((await startFrom(link.linkId, '198.51.100.7')).status).toBe(201);
    }
    const refused = await startFrom(link.linkId, '198.51.100.7');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: string }).error).toBe('RATE_LIMITED');

    // Another link from a fresh address each time: the link's own limit.
    const busy = await recorderLink(t.deps, { reusable: true });
    for (let i = 0; i < STARTS_PER_LINK_PER_HOUR; i++) {
      expect((await startFrom(busy.linkId, `203.0.113.${i % 250}`)).status).toBe(201);
    }
    expect((await startFrom(busy.linkId, '192.0.2.1')).status).toBe(429);
    const count = await t.store.db
      .selectFrom('recordings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('link_id', 'in', [link.linkId, busy.linkId])
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(STARTS_PER_ADDRESS_PER_10_MIN + STARTS_PER_LINK_PER_HOUR);
  });
});
