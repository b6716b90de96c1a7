import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamWorkspace } from '../helpers/builders.ts';
import { accessOf, link, verifiedDomain } from '../helpers/builders-links.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// S38: every write endpoint of the REST API, fed malformed JSON, wrong types, oversized bodies and
// strings, unknown fields and out-of-range paging. Always a 4xx whose body names the field, never
// a 500, and nothing in the database changes.

interface Case {
  name: string;
  method: 'POST' | 'PUT' | 'DELETE' | 'GET';
  path: string;
  body?: string;
  contentType?: string;
  /** The field the error message must name. */
  field: string;
}

describe(`S38: bad input is refused with a 4xx naming the field, changing nothing [${testDialect}]`, () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof teamWorkspace>>;
  let cases: Case[];

  beforeAll(async () => {
    t = await createTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '100000' } });
    team = await teamWorkspace(t.deps);
    const ownerAccess = await accessOf(t.deps, team.owner, team.workspace.id);
    const domain = await verifiedDomain(t.deps, ownerAccess);
    const existing = await link(t.deps, ownerAccess, { domainId: domain.id, meta: { ticket: 1 } });
    const ws = `/api/v1/public/workspace/${team.workspace.id}`;
    const json = (value: unknown) => JSON.stringify(value);
    const longString = 'x'.repeat(20_000);
    const validCreate = { domainId: domain.id };
    cases = [];
    // Every endpoint that takes a JSON body.
    const bodies: Array<{
      method: 'POST' | 'PUT';
      path: string;
      valid: Record<string, unknown>;
      fields: Record<string, unknown[]>;
    }> = [
      {
        method: 'POST',
        path: `${ws}/links`,
        valid: validCreate,
        fields: {
          domainId: [123, null, '', longString],
          projectId: [42, longString],
          linkReference: [false, longString],
          linkReusable: ['yes', 1],
          meta: ['text', [1, 2], { big: 'y'.repeat(11_000) }],
        },
      },
      {
        method: 'PUT',
        path: `${ws}/links/${existing.id}`,
        valid: { linkTitle: 'ok' },
        fields: {
          linkTitle: [5, longString],
          linkReusable: ['no'],
          linkProviderType: ['email', 3],
          linkProviderId: [{}, longString],
          linkProviderRef: [[], longString],
          meta: [7, { big: 'y'.repeat(11_000) }],
        },
      },
      {
        method: 'POST',
        path: '/api/v1/public/api-keys',
        valid: {},
        fields: { name: [1, 'n'.repeat(101)], expiresIn: ['1y', 30, null] },
      },
    ];
    for (const endpoint of bodies) {
      const label = `${endpoint.method} ${endpoint.path.replace(/[a-z]+_[0-9a-z]{26}/g, ':id')}`;
      for (const [field, values] of Object.entries(endpoint.fields)) {
        for (const value of values) {
          cases.push({
            name: `${label} ${field}=${JSON.stringify(value).slice(0, 30)}`,
            method: endpoint.method,
            path: endpoint.path,
            body: json({ ...endpoint.valid, [field]: value }),
            field,
          });
        }
      }
      cases.push(
        {
          name: `${label} malformed JSON`,
          method: endpoint.method,
          path: endpoint.path,
          body: '{"domainId": ',
          field: 'body',
        },
        {
          name: `${label} a JSON array`,
          method: endpoint.method,
          path: endpoint.path,
          body: '[1,2]',
          field: 'body',
        },
        {
          name: `${label} not JSON`,
          method: endpoint.method,
          path: endpoint.path,
          body: 'domainId=x',
          contentType: 'application/x-www-form-urlencoded',
          field: 'body',
        },
        { name: `${label} no body`, method: endpoint.method, path: endpoint.path, field: 'body' },
        {
          name: `${label} unknown field`,
          method: endpoint.method,
          path: endpoint.path,
          body: json({ ...endpoint.valid, isAdmin: true }),
          field: 'isAdmin',
        },
        {
          name: `${label} oversized body`,
          method: endpoint.method,
          path: endpoint.path,
          body: json({ ...endpoint.valid, pad: 'z'.repeat(70_000) }),
          field: 'body',
        },
      );
    }
    // Path parameters and paging of lists.
    cases.push(
      {
        name: 'DELETE a link with an oversized id',
        method: 'DELETE',
        path: `${ws}/links/${'l'.repeat(300)}`,
        field: 'linkId',
      },
      {
        name: 'DELETE a recording with an oversized id',
        method: 'DELETE',
        path: `${ws}/recordings/${'r'.repeat(300)}`,
        field: 'recordingId',
      },
      {
        name: 'rotate a key with an oversized id',
        method: 'POST',
        path: `/api/v1/public/api-keys/${'k'.repeat(300)}/rotate`,
        field: 'keyId',
      },
    );
    for (const list of [`${ws}/links`, `${ws}/recordings`, `${ws}/projects`, '/api/v1/public/workspaces']) {
      for (const query of ['page=0', 'page=-1', 'page=abc', 'per_page=0', 'per_page=1000', 'per_page=2.5']) {
        cases.push({
          name: `GET ${list.replace(/ws_[0-9a-z]{26}/, ':id')}?${query}`,
          method: 'GET',
          path: `${list}?${query}`,
          field: query.split('=')[0]!,
        });
      }
    }
  });
  afterAll(async () => t.close());

  async function snapshot() {
    const db = t.store.db;
    const [links, keys, recordings, projects] = await Promise.all([
      db.selectFrom('links').selectAll().orderBy('id').execute(),
      // last_used_at is bookkeeping of the key that made the requests, not something they changed.
      db
        .selectFrom('api_keys')
        .select(['id', 'user_id', 'name', 'key_hash', 'status', 'expires_at', 'revoked_at'])
        .orderBy('id')
        .execute(),
      db.selectFrom('recordings').selectAll().orderBy('id').execute(),
      db.selectFrom('projects').selectAll().orderBy('id').execute(),
    ]);
    return JSON.stringify({ links, keys, recordings, projects });
  }

  it('answers every case with a 4xx naming the field, never a 500, and changes nothing', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const c of cases) {
      const headers: Record<string, string> = { ...team.owner.headers };
      if (c.body !== undefined || c.method === 'POST' || c.method === 'PUT')
        headers['content-type'] = c.contentType ?? 'application/json';
      const res = await t.request(c.path, {
        method: c.method,
        headers,
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      const text = await res.text();
      let body: { error?: string; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {
        failures.push(`${c.name}: not JSON: ${text.slice(0, 80)}`);
        continue;
      }
      if (res.status < 400 || res.status >= 500) failures.push(`${c.name}: status ${res.status}`);
      else if (!body.error || !body.message?.includes(c.field))
        failures.push(`${c.name}: ${res.status} ${text.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(60);
    expect(await snapshot()).toBe(before);
  });
});
