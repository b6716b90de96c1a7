import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Domain } from '../../src/domain/types.ts';
import { json, teamWorkspace } from '../helpers/builders.ts';
import { accessOf, verifiedDomain } from '../helpers/builders-links.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;

describe(`recording links under concurrency [${testDialect}]`, () => {
  let t: TestApp;
  let team: Team;
  let domain: Domain;
  let base: string;
  // linkId → the meta it was created with.
  const created = new Map<string, { i: number; payload: string }>();

  beforeAll(async () => {
    t = await createTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '10000' } });
    team = await teamWorkspace(t.deps);
    domain = await verifiedDomain(t.deps, await accessOf(t.deps, team.owner, team.workspace.id));
    base = `/api/v1/public/workspace/${team.workspace.id}/links`;
  });
  afterAll(async () => t.close());

  const people = () => [team.owner, team.admin, team.member, team.member2];

  async function listAll(): Promise<{ total: number; ids: string[] }> {
    const ids: string[] = [];
    let total = 0;
    for (let page = 1; ; page++) {
      const { data } = await (
        await t.request(`${base}?per_page=20&page=${page}`, { headers: team.owner.headers })
      ).json();
      total = data.pagination.total;
      ids.push(...data.links.map((l: { linkId: string }) => l.linkId));
      if (!data.pagination.hasMore) break;
    }
    return { total, ids };
  }

  it('50 concurrent creations all succeed with distinct ids and read back intact', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const who = people()[i % 4]!;
        const meta = { i, payload: `payload-${i}-${'z'.repeat(i * 10)}` };
        return t
          .request(base, json('POST', who, { domainId: domain.id, linkReference: `concurrent ${i}`, meta }))
          .then(async (res) => ({ status: res.status, body: await res.json(), meta }));
      }),
    );
    for (const { status, body, meta } of responses) {
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.data.meta).toEqual(meta);
      created.set(body.data.linkId, meta);
    }
    expect(created.size).toBe(50);

    const { total, ids } = await listAll();
    expect(total).toBe(50);
    expect(new Set(ids)).toEqual(new Set(created.keys()));

    const reads = await Promise.all(
      [...created.keys()].map((id) => t.request(`${base}/${id}`, { headers: team.member.headers })),
    );
    for (const res of reads) {
      expect(res.status).toBe(200);
      const { data } = await res.json();
      const meta = created.get(data.linkId)!;
      expect(data.meta).toEqual(meta);
      expect(data.linkTitle).toBe(`concurrent ${meta.i}`);
      expect(data.domain.domainId).toBe(domain.id);
    }
  });

  it('25 concurrent deletions mixed with reads delete exactly those links', async () => {
    const ids = [...created.keys()];
    const doomed = ids.slice(0, 25);
    const kept = ids.slice(25);
    // Two deletes race for each of five links: exactly one of each pair wins.
    const raced = doomed.slice(0, 5);
    const requests = [
      ...doomed.map((id) =>
        t.request(`${base}/${id}`, json('DELETE', team.admin)).then((r) => ({ id, kind: 'delete', r })),
      ),
      ...raced.map((id) =>
        t.request(`${base}/${id}`, json('DELETE', team.owner)).then((r) => ({ id, kind: 'race', r })),
      ),
      ...kept.map((id) =>
        t.request(`${base}/${id}`, { headers: team.member.headers }).then((r) => ({ id, kind: 'read', r })),
      ),
      ...kept.map((id) =>
        t.request(base, { headers: team.member2.headers }).then((r) => ({ id, kind: 'list', r })),
      ),
    ];
    const results = await Promise.all(requests);

    const deleteWins = new Map<string, number>();
    for (const { id, kind, r } of results) {
      if (kind === 'read' || kind === 'list') {
        expect(r.status).toBe(200);
        continue;
      }
      expect([200, 410]).toContain(r.status);
      if (r.status === 200) deleteWins.set(id, (deleteWins.get(id) ?? 0) + 1);
      else expect((await r.json()).error).toBe('LINK_GONE');
    }
    expect(deleteWins.size).toBe(25);
    for (const id of doomed) expect(deleteWins.get(id)).toBe(1);

    const after = await Promise.all(
      ids.map((id) => t.request(`${base}/${id}`, { headers: team.owner.headers })),
    );
    for (const [index, res] of after.entries()) {
      const id = ids[index]!;
      if (doomed.includes(id)) {
        expect(res.status).toBe(410);
        expect((await res.json()).error).toBe('LINK_GONE');
      } else {
        expect(res.status).toBe(200);
        const { data } = await res.json();
        expect(data.meta).toEqual(created.get(id));
        expect(data.linkTitle).toBe(`concurrent ${created.get(id)!.i}`);
      }
    }
    const { total, ids: listed } = await listAll();
    expect(total).toBe(25);
    expect(new Set(listed)).toEqual(new Set(kept));
  });
});
