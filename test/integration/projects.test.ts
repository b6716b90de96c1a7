import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/domain/types.ts';
import { fakeClock } from '../../src/lib/clock.ts';
import { requireMember } from '../../src/services/access.ts';
import { createProject, deleteProject, updateProject } from '../../src/services/projects.ts';
import { type TestUser, teamWorkspace } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;
const ROLES = ['owner', 'admin', 'member'] as const;

describe(`projects over HTTP [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let team: Team;
  let other: Team;
  const created: Project[] = [];

  const get = (path: string, who: TestUser) => t.request(`/api/v1${path}`, { headers: who.headers });
  const base = () => `/public/workspace/${team.workspace.id}/projects`;
  const access = (who: TestUser, ws = team.workspace.id) => requireMember(t.deps, who.user.id, ws);

  beforeAll(async () => {
    t = await createTestApp({ clock });
    team = await teamWorkspace(t.deps);
    other = await teamWorkspace(t.deps);
    for (let i = 1; i <= 6; i++) {
      clock.advance(1000);
      created.push(await createProject(t.deps, await access(team.admin), { title: `Project ${i}` }));
    }
  });
  afterAll(async () => t.close());

  it('lists projects newest first, 5 per page by default, with the pagination object', async () => {
    const res = await get(base(), team.member);
    expect(res.status).toBe(200);
    const { data } = await res.json();
    expect(data.projects.map((p: { title: string }) => p.title)).toEqual([
      'Project 6',
      'Project 5',
      'Project 4',
      'Project 3',
      'Project 2',
    ]);
    expect(data.pagination).toEqual({ page: 1, perPage: 5, total: 7, totalPages: 2, hasMore: true });
    const second = (await (await get(`${base()}?page=2`, team.member)).json()).data;
    expect(second.projects.map((p: { title: string; isDefault: boolean }) => [p.title, p.isDefault])).toEqual(
      [
        ['Project 1', false],
        ['Default', true],
      ],
    );
    expect(second.pagination).toEqual({ page: 2, perPage: 5, total: 7, totalPages: 2, hasMore: false });
    const all = (await (await get(`${base()}?per_page=10`, team.member)).json()).data;
    expect(all.projects).toHaveLength(7);
    expect(all.pagination).toEqual({ page: 1, perPage: 10, total: 7, totalPages: 1, hasMore: false });
  });

  it('per_page over 10 → 400 VALIDATION_FAILED naming per_page', async () => {
    for (const q of ['per_page=11', 'per_page=-1', 'page=abc']) {
      const res = await get(`${base()}?${q}`, team.owner);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error).toBe('VALIDATION_FAILED');
      expect(body.message.startsWith(q.split('=')[0]!)).toBe(true);
    }
  });

  it('every role may list and read projects', async () => {
    for (const role of ROLES) {
      expect((await get(base(), team[role])).status).toBe(200);
      const res = await get(`${base()}/${team.defaultProject.id}`, team[role]);
      expect(res.status).toBe(200);
      expect((await res.json()).data).toEqual({
        projectId: team.defaultProject.id,
        title: 'Default',
        isDefault: true,
        retentionDays: null,
        maxRecordingSeconds: null,
        createdAt: new Date(team.defaultProject.createdAt).toISOString(),
        updatedAt: new Date(team.defaultProject.updatedAt).toISOString(),
      });
    }
  });

  it('S39: an outsider gets NOT_A_MEMBER alike for a real and a made-up workspace or project', async () => {
    const answers = await Promise.all(
      [
        base(),
        `${base()}/${team.defaultProject.id}`,
        `${base()}/prj_00000000000000000000000000`,
        '/public/workspace/ws_00000000000000000000000000/projects',
        `/public/workspace/ws_00000000000000000000000000/projects/${team.defaultProject.id}`,
      ].map(async (path) => {
        const res = await get(path, team.outsider);
        return { status: res.status, body: await res.json() };
      }),
    );
    expect(answers[0]!.status).toBe(403);
    expect(answers[0]!.body.error).toBe('NOT_A_MEMBER');
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('another workspace’s project and an unknown id are PROJECT_NOT_FOUND (S39)', async () => {
    for (const id of [other.defaultProject.id, 'prj_00000000000000000000000000', 'x']) {
      const res = await get(`${base()}/${id}`, team.owner);
      expect(res.status).toBe(404);
      expect((await res.json()).error).toBe('PROJECT_NOT_FOUND');
    }
  });

  it('create, edit and delete need admin or owner; a member is refused naming the role', async () => {
    const m = await access(team.member);
    for (const attempt of [
      () => createProject(t.deps, m, { title: 'Mine' }),
      () => updateProject(t.deps, m, created[0]!.id, { title: 'Mine' }),
      () => deleteProject(t.deps, m, created[0]!.id),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
        message: expect.stringContaining('admin or owner'),
      });
    }
    const byOwner = await createProject(t.deps, await access(team.owner), {
      title: ' Owned ',
      retentionDays: 30,
    });
    expect(byOwner).toMatchObject({ title: 'Owned', retentionDays: 30, isDefault: false });
    const res = await get(`${base()}/${byOwner.id}`, team.member);
    expect((await res.json()).data).toMatchObject({
      projectId: byOwner.id,
      title: 'Owned',
      retentionDays: 30,
    });
  });

  it('validates title (1–100) and retentionDays (null or 1–3650), naming the field', async () => {
    const a = await access(team.admin);
    for (const title of ['', '   ', 'x'.repeat(101)]) {
      await expect(createProject(t.deps, a, { title })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'title',
      });
    }
    for (const retentionDays of [0, 3651, 1.5, -3]) {
      await expect(createProject(t.deps, a, { title: 'ok', retentionDays })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'retentionDays',
      });
    }
    expect(
      (await createProject(t.deps, a, { title: 'x'.repeat(100), retentionDays: 3650 })).retentionDays,
    ).toBe(3650);
    await expect(updateProject(t.deps, a, created[0]!.id, { retentionDays: 0 })).rejects.toMatchObject({
      field: 'retentionDays',
    });
  });

  it('update changes only the given fields and shows on the next GET', async () => {
    clock.advance(60_000);
    const a = await access(team.admin);
    await updateProject(t.deps, a, created[1]!.id, { retentionDays: 90 });
    await updateProject(t.deps, a, created[1]!.id, { title: 'Renamed' });
    const res = await get(`${base()}/${created[1]!.id}`, team.member);
    expect((await res.json()).data).toMatchObject({
      title: 'Renamed',
      retentionDays: 90,
      createdAt: new Date(created[1]!.createdAt).toISOString(),
      updatedAt: new Date(clock.now()).toISOString(),
    });
    await updateProject(t.deps, a, created[1]!.id, { retentionDays: null });
    expect(
      (await (await get(`${base()}/${created[1]!.id}`, team.member)).json()).data.retentionDays,
    ).toBeNull();
    await expect(updateProject(t.deps, a, other.defaultProject.id, { title: 'x' })).rejects.toMatchObject({
      code: 'PROJECT_NOT_FOUND',
    });
  });

  it('validates maxRecordingSeconds (null or a whole 1–3600), naming the field, on create and update', async () => {
    const a = await access(team.admin);
    for (const maxRecordingSeconds of [0, 3601, 1.5, -1, Number.NaN, '60' as unknown as number]) {
      await expect(createProject(t.deps, a, { title: 'Limited', maxRecordingSeconds })).rejects.toMatchObject(
        {
          status: 400,
          code: 'VALIDATION_FAILED',
          field: 'maxRecordingSeconds',
          message: expect.stringContaining('maxRecordingSeconds'),
        },
      );
      await expect(updateProject(t.deps, a, created[3]!.id, { maxRecordingSeconds })).rejects.toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        field: 'maxRecordingSeconds',
      });
    }
    // A refused update changed nothing.
    const untouched = (await (await get(`${base()}/${created[3]!.id}`, team.member)).json()).data;
    expect(untouched.maxRecordingSeconds).toBeNull();

    for (const maxRecordingSeconds of [null, 1, 3600]) {
      const project = await createProject(t.deps, a, {
        title: `Limit ${maxRecordingSeconds}`,
        maxRecordingSeconds,
      });
      expect(project.maxRecordingSeconds).toBe(maxRecordingSeconds);
      const wire = (await (await get(`${base()}/${project.id}`, team.member)).json()).data;
      expect(wire.maxRecordingSeconds).toBe(maxRecordingSeconds);
    }
    // Left out on create: the default (null).
    expect((await createProject(t.deps, a, { title: 'No limit given' })).maxRecordingSeconds).toBeNull();
  });

  it('REST shows maxRecordingSeconds after an update; other updates leave it alone; members may not set it', async () => {
    const a = await access(team.owner);
    const id = created[3]!.id;
    for (const value of [1, 3600, 90]) {
      const updated = await updateProject(t.deps, a, id, { maxRecordingSeconds: value });
      expect(updated.maxRecordingSeconds).toBe(value);
      expect((await (await get(`${base()}/${id}`, team.member)).json()).data.maxRecordingSeconds).toBe(value);
    }
    await updateProject(t.deps, a, id, { title: 'Still 90 s', retentionDays: 5 });
    const listed = (await (await get(`${base()}?per_page=10`, team.member)).json()).data.projects.find(
      (p: { projectId: string }) => p.projectId === id,
    );
    expect(listed).toMatchObject({ title: 'Still 90 s', retentionDays: 5, maxRecordingSeconds: 90 });

    await expect(
      updateProject(t.deps, await access(team.member), id, { maxRecordingSeconds: 60 }),
    ).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      message: expect.stringContaining('admin or owner'),
    });
    await updateProject(t.deps, a, id, { maxRecordingSeconds: null });
    expect((await (await get(`${base()}/${id}`, team.member)).json()).data.maxRecordingSeconds).toBeNull();
  });

  it('publishes maxRecordingSeconds (nullable integer, described) in the OpenAPI Project schema; no write routes', async () => {
    const doc = await (await t.request('/api/v1/openapi.json')).json();
    const prop = doc.components.schemas.Project.properties.maxRecordingSeconds;
    expect(prop.description).toBe('Longest new recording in seconds; null: 180');
    expect(JSON.stringify(prop)).toContain('integer');
    expect(JSON.stringify(prop)).toContain('null');
    expect(doc.components.schemas.Project.required).toContain('maxRecordingSeconds');
    for (const path of [
      '/public/workspace/{workspaceId}/projects',
      '/public/workspace/{workspaceId}/projects/{projectId}',
    ]) {
      expect(Object.keys(doc.paths[path])).toEqual(['get']);
    }
  });

  it('the default project cannot be deleted (403 FORBIDDEN saying so)', async () => {
    await expect(
      deleteProject(t.deps, await access(team.owner), team.defaultProject.id),
    ).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      message: expect.stringContaining('default project cannot be deleted'),
    });
    expect((await get(`${base()}/${team.defaultProject.id}`, team.owner)).status).toBe(200);
  });

  it('a deleted project answers PROJECT_GONE (410) and leaves the list', async () => {
    const victim = created[2]!;
    await deleteProject(t.deps, await access(team.admin), victim.id);
    const res = await get(`${base()}/${victim.id}`, team.member);
    expect(res.status).toBe(410);
    expect((await res.json()).error).toBe('PROJECT_GONE');
    const list = (await (await get(`${base()}?per_page=10`, team.member)).json()).data;
    expect(list.projects.map((p: { projectId: string }) => p.projectId)).not.toContain(victim.id);
    const a = await access(team.admin);
    await expect(deleteProject(t.deps, a, victim.id)).rejects.toMatchObject({
      status: 410,
      code: 'PROJECT_GONE',
    });
    await expect(updateProject(t.deps, a, victim.id, { title: 'back' })).rejects.toMatchObject({
      status: 410,
      code: 'PROJECT_GONE',
    });
  });
});
