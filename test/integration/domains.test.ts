import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { ApiError } from '../../src/domain/errors.ts';
import { newId } from '../../src/lib/ids.ts';
import type { Access } from '../../src/services/access.ts';
import type { Deps } from '../../src/services/deps.ts';
import { createDomainVerifier } from '../../src/services/domain-verifier.ts';
import { addDomain, deleteDomain, getDomain, listDomains, verifyDomain } from '../../src/services/domains.ts';
import { json, teamWorkspace } from '../helpers/builders.ts';
import { accessOf, link, verifiedDomain } from '../helpers/builders-links.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;

/** The ApiError a promise rejects with (fails the test if it resolves or throws something else). */
async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe(`domains [${testDialect}]`, () => {
  let t: TestApp;
  let team: Team;
  let owner: Access;
  let admin: Access;
  let member: Access;
  let otherOwner: Access;
  // The outbound check in force; each test sets what the "site" answers.
  let verifier: Deps['verifyDomain'] = async () => ({ ok: false, reason: 'no verifier set' });
  const verifyCalls: [string, string][] = [];

  beforeAll(async () => {
    t = await createTestApp({
      verifyDomain: (host, token) => {
        verifyCalls.push([host, token]);
        return verifier(host, token);
      },
    });
    team = await teamWorkspace(t.deps);
    const other = await teamWorkspace(t.deps);
    owner = await accessOf(t.deps, team.owner, team.workspace.id);
    admin = await accessOf(t.deps, team.admin, team.workspace.id);
    member = await accessOf(t.deps, team.member, team.workspace.id);
    otherOwner = await accessOf(t.deps, other.owner, other.workspace.id);
  });
  afterAll(async () => t.close());

  describe('addDomain', () => {
    it('normalises the url, starts pending with a fresh token, for owners and admins', async () => {
      const a = await addDomain(t.deps, owner, { url: 'https://Shop.Example.com/' });
      expect(a).toMatchObject({
        host: 'shop.example.com',
        status: 'pending',
        verifiedAt: null,
        deletedAt: null,
      });
      expect(a.id).toMatch(/^dom_/);
      const b = await addDomain(t.deps, admin, { url: 'docs.example.com:8443' });
      expect(b.host).toBe('docs.example.com:8443');
      expect(a.verificationToken.length).toBeGreaterThanOrEqual(32);
      expect(b.verificationToken).not.toBe(a.verificationToken);
    });

    it('refuses a member with FORBIDDEN naming the admin role', async () => {
      const error = await apiError(addDomain(t.deps, member, { url: 'member.example.com' }));
      expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(error.message).toContain('admin or owner');
    });

    it('refuses an invalid url with 400 naming url', async () => {
      for (const url of [
        '',
        'not a host',
        'ftp://x.example.com',
        'https://x.example.com/path',
        'a@b.com',
        'x'.repeat(400),
      ]) {
        const error = await apiError(addDomain(t.deps, owner, { url }));
        expect(error, url).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'url' });
      }
    });

    it('refuses a live duplicate host with 409 CONFLICT, but allows it again after deletion or elsewhere', async () => {
      const first = await addDomain(t.deps, owner, { url: 'dup.example.com' });
      const error = await apiError(addDomain(t.deps, admin, { url: 'HTTPS://DUP.example.com' }));
      expect(error).toMatchObject({ status: 409, code: 'CONFLICT', field: 'url' });
      await expect(addDomain(t.deps, otherOwner, { url: 'dup.example.com' })).resolves.toMatchObject({
        host: 'dup.example.com',
      });
      await deleteDomain(t.deps, owner, first.id);
      await expect(addDomain(t.deps, owner, { url: 'dup.example.com' })).resolves.toMatchObject({
        status: 'pending',
      });
    });

    it('lets only one of ten concurrent adds of one host win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => addDomain(t.deps, owner, { url: 'race.example.com' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409, code: 'CONFLICT' });
      }
      const live = await listDomains(t.deps, owner);
      expect(live.filter((d) => d.host === 'race.example.com')).toHaveLength(1);
    });

    it('marks a trusted add verified at once', async () => {
      const d = await addDomain(t.deps, owner, { url: 'trusted.example.com', verified: true });
      expect(d.status).toBe('verified');
      expect(d.verifiedAt).toBeTypeOf('number');
    });
  });

  describe('verifyDomain with a fake site', () => {
    it('marks the domain verified when the site shows the token', async () => {
      const d = await addDomain(t.deps, owner, { url: 'verify-ok.example.com' });
      verifier = async (_host, token) =>
        token === d.verificationToken ? { ok: true, method: 'file' } : { ok: false, reason: 'wrong' };
      verifyCalls.length = 0;
      const verified = await verifyDomain(t.deps, admin, d.id);
      expect(verified).toMatchObject({ id: d.id, status: 'verified' });
      expect(verifyCalls).toEqual([['verify-ok.example.com', d.verificationToken]]);
      expect((await getDomain(t.deps, member, d.id)).status).toBe('verified');
      // Verifying again does not fetch the site again.
      await verifyDomain(t.deps, owner, d.id);
      expect(verifyCalls).toHaveLength(1);
    });

    it('answers 422 DOMAIN_VERIFICATION_FAILED with the reason and leaves the status alone', async () => {
      const d = await addDomain(t.deps, owner, { url: 'verify-fail.example.com' });
      verifier = async () => ({ ok: false, reason: 'the file says something else' });
      const error = await apiError(verifyDomain(t.deps, owner, d.id));
      expect(error).toMatchObject({ status: 422, code: 'DOMAIN_VERIFICATION_FAILED' });
      expect(error.message).toContain('the file says something else');
      expect((await getDomain(t.deps, owner, d.id)).status).toBe('pending');
    });

    it('refuses a member (FORBIDDEN), a deleted domain (DOMAIN_GONE) and a foreign one (DOMAIN_NOT_FOUND)', async () => {
      const d = await addDomain(t.deps, owner, { url: 'verify-refused.example.com' });
      verifier = async () => ({ ok: true, method: 'file' });
      verifyCalls.length = 0;
      expect(await apiError(verifyDomain(t.deps, member, d.id))).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      expect(await apiError(verifyDomain(t.deps, otherOwner, d.id))).toMatchObject({
        status: 404,
        code: 'DOMAIN_NOT_FOUND',
      });
      await deleteDomain(t.deps, owner, d.id);
      expect(await apiError(verifyDomain(t.deps, owner, d.id))).toMatchObject({
        status: 410,
        code: 'DOMAIN_GONE',
      });
      expect(verifyCalls).toHaveLength(0);
    });
  });

  describe('verifyDomain with the real verifier (SECURITY.md S25)', () => {
    let server: Server;
    let hits: string[] = [];
    let token = '';
    let local: { id: string };

    beforeAll(async () => {
      server = createServer((req, res) => {
        hits.push(req.url ?? '');
        if (req.url === '/.well-known/userplane-verification.txt') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`${token}\n`);
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('S25: refuses to fetch a site on 127.0.0.1 and never contacts it', async () => {
      const { port } = server.address() as AddressInfo;
      const d = await addDomain(t.deps, owner, { url: `127.0.0.1:${port}` });
      local = d;
      token = d.verificationToken;
      hits = [];
      const real = createDomainVerifier({ allowPrivateAddresses: false, scheme: 'http', timeoutMs: 2_000 });
      verifier = (host, tok) => real.verify(host, tok);
      const error = await apiError(verifyDomain(t.deps, owner, d.id));
      expect(error).toMatchObject({ status: 422, code: 'DOMAIN_VERIFICATION_FAILED' });
      expect(error.message).toMatch(/private, loopback/);
      expect(hits).toEqual([]);
      expect((await getDomain(t.deps, owner, d.id)).status).toBe('pending');
    });

    it('S25: verifies the same local site when private fetches are allowed (ALLOW_PRIVATE_NETWORK_FETCH)', async () => {
      hits = [];
      const real = createDomainVerifier({ allowPrivateAddresses: true, scheme: 'http', timeoutMs: 2_000 });
      verifier = (host, tok) => real.verify(host, tok);
      expect(await verifyDomain(t.deps, admin, local.id)).toMatchObject({ status: 'verified' });
      expect(hits).toEqual(['/.well-known/userplane-verification.txt']);
    });
  });

  describe('listDomains, getDomain, deleteDomain', () => {
    it('lists live domains newest first with a status filter, for every role', async () => {
      const fresh = await teamWorkspace(t.deps);
      const o = await accessOf(t.deps, fresh.owner, fresh.workspace.id);
      const m = await accessOf(t.deps, fresh.member, fresh.workspace.id);
      const p1 = await addDomain(t.deps, o, { url: 'one.example.com' });
      const v1 = await addDomain(t.deps, o, { url: 'two.example.com', verified: true });
      const p2 = await addDomain(t.deps, o, { url: 'three.example.com' });
      const dead = await addDomain(t.deps, o, { url: 'four.example.com' });
      await deleteDomain(t.deps, o, dead.id);
      expect((await listDomains(t.deps, m)).map((d) => d.id)).toEqual([p2.id, v1.id, p1.id]);
      expect((await listDomains(t.deps, m, { status: 'pending' })).map((d) => d.id)).toEqual([p2.id, p1.id]);
      expect((await listDomains(t.deps, o, { status: 'verified' })).map((d) => d.id)).toEqual([v1.id]);
      const bad = await apiError(listDomains(t.deps, m, { status: 'nope' as 'pending' }));
      expect(bad).toMatchObject({ status: 400, field: 'status' });
    });

    it('gets a domain; unknown or foreign → DOMAIN_NOT_FOUND; deleted → DOMAIN_GONE', async () => {
      const d = await addDomain(t.deps, owner, { url: 'get.example.com' });
      expect(await getDomain(t.deps, member, d.id)).toMatchObject({ id: d.id, host: 'get.example.com' });
      expect(await apiError(getDomain(t.deps, member, newId('dom')))).toMatchObject({
        code: 'DOMAIN_NOT_FOUND',
      });
      expect(await apiError(getDomain(t.deps, otherOwner, d.id))).toMatchObject({ code: 'DOMAIN_NOT_FOUND' });
      await deleteDomain(t.deps, admin, d.id);
      expect(await apiError(getDomain(t.deps, member, d.id))).toMatchObject({
        status: 410,
        code: 'DOMAIN_GONE',
      });
      expect(await apiError(deleteDomain(t.deps, owner, d.id))).toMatchObject({
        status: 410,
        code: 'DOMAIN_GONE',
      });
    });

    it('refuses a member deleting a domain and keeps it', async () => {
      const d = await addDomain(t.deps, owner, { url: 'keep.example.com' });
      expect(await apiError(deleteDomain(t.deps, member, d.id))).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      expect((await getDomain(t.deps, member, d.id)).deletedAt).toBeNull();
    });

    it('keeps the links of a deleted domain readable while new links refuse it', async () => {
      const d = await verifiedDomain(t.deps, owner);
      const made = await link(t.deps, member, { domainId: d.id });
      await deleteDomain(t.deps, owner, d.id);
      const base = `/api/v1/public/workspace/${team.workspace.id}/links`;
      const read = await t.request(`${base}/${made.id}`, { headers: team.member.headers });
      expect(read.status).toBe(200);
      expect((await read.json()).data.domain).toEqual({ domainId: d.id, url: d.host, status: 'verified' });
      const listed = await (
        await t.request(`${base}?domain_id=${d.id}`, { headers: team.member.headers })
      ).json();
      expect(listed.data.pagination.total).toBe(1);
      const refused = await t.request(base, json('POST', team.member, { domainId: d.id }));
      expect(refused.status).toBe(410);
      expect((await refused.json()).error).toBe('DOMAIN_GONE');
    });
  });

  describe('CLI: domain add', () => {
    async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      let database = `sqlite:${t.config.dataDir}/test.db`;
      if (testDialect === 'postgres') {
        const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(t.store.db);
        const options = encodeURIComponent(`-c search_path=${rows[0]!.schema}`);
        database = `${String(t.deps.config.database.kind === 'postgres' && t.deps.config.database.url)}?options=${options}`;
      }
      let stdout = '';
      let stderr = '';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
      });
      const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      try {
        const code = await runCli(args, {
          DATA_DIR: t.config.dataDir,
          USERPLANE_SECRET: 'test-secret-test-secret-test-secret-0123456789',
          DATABASE_URL: database,
          LOG_LEVEL: 'silent',
        });
        return { code, stdout, stderr };
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
    }

    it("adds a domain as the workspace's owner and prints its id", async () => {
      const pending = await cli([
        'domain',
        'add',
        '--workspace',
        team.workspace.id,
        '--url',
        'cli.example.com',
      ]);
      expect(pending).toMatchObject({ code: 0, stderr: '' });
      const id = pending.stdout.trim();
      expect(id).toMatch(/^dom_[0-9a-z]{26}$/);
      expect(await getDomain(t.deps, member, id)).toMatchObject({
        host: 'cli.example.com',
        status: 'pending',
      });

      const verified = await cli([
        'domain',
        'add',
        '--workspace',
        team.workspace.id,
        '--url',
        'https://cli-verified.example.com',
        '--verified',
      ]);
      expect(verified.code).toBe(0);
      expect(await getDomain(t.deps, member, verified.stdout.trim())).toMatchObject({ status: 'verified' });
    });

    it('fails with a message on stderr and a non-zero exit for bad input', async () => {
      const unknown = await cli(['domain', 'add', '--workspace', newId('ws'), '--url', 'x.example.com']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toMatch(/workspace/i);
      const invalid = await cli(['domain', 'add', '--workspace', team.workspace.id, '--url', 'not a url']);
      expect(invalid.code).not.toBe(0);
      expect(invalid.stderr).toContain('url');
      const duplicate = await cli([
        'domain',
        'add',
        '--workspace',
        team.workspace.id,
        '--url',
        'cli.example.com',
      ]);
      expect(duplicate.code).not.toBe(0);
      expect(duplicate.stderr).toContain('already');
      const missing = await cli(['domain', 'add', '--workspace', team.workspace.id]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--url');
    });
  });
});
