import { type Context, Hono } from 'hono';
import { VERIFICATION_FILE_PATH, VERIFICATION_META_NAME } from '../../domain/domain-verification.ts';
import { ApiError } from '../../domain/errors.ts';
import { can } from '../../domain/permissions.ts';
import type { Domain, Project } from '../../domain/types.ts';
import type { Deps } from '../../services/deps.ts';
import { addDomain, deleteDomain, listDomains, verifyDomain } from '../../services/domains.ts';
import {
  createProject,
  DEFAULT_MAX_RECORDING_SECONDS,
  deleteProject,
  listProjects,
  MAX_RECORDING_SECONDS_LIMIT,
  MAX_RETENTION_DAYS,
  updateProject,
} from '../../services/projects.ts';
import {
  deleteWorkspace,
  getWorkspaceStorage,
  renameWorkspace,
  type WorkspaceStorage,
} from '../../services/workspace-admin.ts';
import { createAuditRoutes } from './audit.tsx';
import { type DashboardChains, dashboardChains } from './chains.ts';
import {
  attempt,
  FormError,
  flashFrom,
  formFields,
  loadSettings,
  redirectWithFlash,
  type SettingsFrame,
  SettingsPage,
  settingsPath,
} from './settings-common.tsx';
import { renderDashboard, Time } from './shell.tsx';
import { createTeamRoutes } from './team.tsx';

// Workspace Settings (PRODUCT.md §6): General (rename; delete, owner only, confirmed by typing the
// name), Projects, Domains, and Team (team.tsx); plus the audit log (audit.tsx) and the invitation
// page. Everyone in the workspace may look; the forms a role may not use are not rendered, and the
// services refuse them anyway (a forged POST answers 403 and changes nothing).

const GENERAL_FLASH = { renamed: 'Workspace renamed' };
const PROJECT_FLASH = {
  created: 'Project created',
  updated: 'Project saved',
  deleted: 'Project deleted',
};
const DOMAIN_FLASH = {
  added: 'Domain added. Put the token on the site, then verify it.',
  verified: 'Domain verified: it can now carry recording links',
  deleted: 'Domain deleted',
};

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 532 → "532 B", 1_234_567 → "1.2 MB", 14_000_000 → "14 MB" (decimal units, like file managers). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  // One decimal below 10 ("1.2 MB"), whole numbers above ("14 MB", "512 KB").
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  // Rounding may reach the next unit (999.6 KB → "1000 KB"); say "1 MB" instead.
  if (shown >= 1000 && unit < BYTE_UNITS.length - 1) return `1 ${BYTE_UNITS[unit + 1]}`;
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/** "1.2 MB in 14 recordings", "0 B in 0 recordings", "62 KB in 1 recording". */
export function storageText(storage: WorkspaceStorage): string {
  const n = storage.recordings;
  return `${formatBytes(storage.bytes)} in ${n} recording${n === 1 ? '' : 's'}`;
}

function GeneralBody(props: {
  frame: SettingsFrame;
  storage: WorkspaceStorage;
  error?: string | undefined;
  deleteError?: string | undefined;
  name?: string | undefined;
}) {
  const { ctx, ws } = props.frame;
  const role = ws.access.member.role;
  const id = ws.current.id;
  const mayRename = role === 'owner' || role === 'admin';
  return (
    <>
      <section class="card" aria-labelledby="general-heading">
        <h2 id="general-heading">General</h2>
        {mayRename ? (
          <form method="post" action={`${settingsPath(id)}/rename`}>
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <label for="workspace-name">Workspace name</label>
            <input
              id="workspace-name"
              type="text"
              name="name"
              required
              maxlength={100}
              value={props.name ?? ws.current.name}
            />
            <FormError error={props.error} />
            <button type="submit">Save name</button>
          </form>
        ) : (
          <dl class="facts">
            <dt>Workspace name</dt>
            <dd>{ws.current.name}</dd>
          </dl>
        )}
        <dl class="facts">
          <dt>Workspace ID</dt>
          <dd>
            <code>{id}</code>
          </dd>
          <dt>Your role</dt>
          <dd>{role}</dd>
          <dt>Created</dt>
          <dd>
            <Time ms={ws.access.workspace.createdAt} dateOnly />
          </dd>
          <dt>Storage</dt>
          <dd>
            <span title={`${props.storage.bytes} bytes`}>{storageText(props.storage)}</span>
          </dd>
        </dl>
        {mayRename ? null : <p class="muted">Only owners and admins can change workspace settings.</p>}
      </section>
      {can(role, 'workspace.delete') ? (
        <section class="card danger-zone" aria-labelledby="delete-heading">
          <h2 id="delete-heading">Delete workspace</h2>
          <p>
            Deleting the workspace removes access for every member, and its links stop accepting recordings.
            This cannot be undone from the dashboard.
          </p>
          <form method="post" action={`${settingsPath(id)}/delete`}>
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <label for="delete-confirm">Type the workspace name, {ws.current.name}, to confirm</label>
            <input id="delete-confirm" type="text" name="confirm" required autocomplete="off" />
            <FormError error={props.deleteError} />
            <button type="submit" class="danger">
              Delete workspace
            </button>
          </form>
        </section>
      ) : null}
    </>
  );
}

/** What a person typed in a project form, shown again when the form is refused. */
interface ProjectDraft {
  title: string;
  retention: string;
  maxSeconds: string;
}

/** 180 → "3 min", 45 → "45 s", 90 → "1 min 30 s". */
function formatSeconds(seconds: number): string {
  const min = Math.floor(seconds / 60);
  const sec = seconds % 60;
  if (min === 0) return `${sec} s`;
  return sec === 0 ? `${min} min` : `${min} min ${sec} s`;
}

function recordingLimitText(seconds: number | null): string {
  return seconds === null
    ? `default (${formatSeconds(DEFAULT_MAX_RECORDING_SECONDS)})`
    : formatSeconds(seconds);
}

function ProjectsBody(props: {
  frame: SettingsFrame;
  projects: Project[];
  error?: string | undefined;
  /** Which form the error belongs to: 'new' or a project id. */
  errorFor?: string | undefined;
  /** The field the error names, so it is shown beside that field. */
  errorField?: string | undefined;
  /** The refused form's values (for the form named by errorFor). */
  draft?: ProjectDraft | undefined;
}) {
  const { ctx, ws } = props.frame;
  const manage = can(ws.access.member.role, 'project.manage');
  const base = settingsPath(ws.current.id, 'projects');
  // The error of one form, placed beside the field it names; an error naming no field we render
  // goes after the last field.
  const errorAt = (form: string, field: 'title' | 'retentionDays' | 'maxRecordingSeconds') => {
    if (props.errorFor !== form) return null;
    const known = ['title', 'retentionDays', 'maxRecordingSeconds'].includes(props.errorField ?? '');
    if (props.errorField === field || (!known && field === 'maxRecordingSeconds'))
      return <FormError error={props.error} />;
    return null;
  };
  const invalid = (form: string, field: string) =>
    props.errorFor === form && props.errorField === field ? 'true' : undefined;
  const draftFor = (form: string) => (props.errorFor === form ? props.draft : undefined);
  const newDraft = draftFor('new');
  return (
    <>
      <section class="card" aria-labelledby="projects-heading">
        <h2 id="projects-heading">Projects</h2>
        <p class="muted">
          Projects group recording links. A project's retention sets when its new recordings expire (their
          videos and logs are then deleted); leave it empty to keep them. Changing it applies to new
          recordings only. Its recording limit caps the length of new recordings; leave it empty for the
          default ({formatSeconds(DEFAULT_MAX_RECORDING_SECONDS)}).
        </p>
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Retention</th>
                <th scope="col">Recording limit</th>
                <th scope="col">Created</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {props.projects.map((project) => (
                <tr>
                  <td data-label="Title">
                    {project.title} {project.isDefault ? <span class="badge">Default</span> : null}
                  </td>
                  <td data-label="Retention">
                    {project.retentionDays === null ? 'Keep' : `${project.retentionDays} days`}
                  </td>
                  <td data-label="Recording limit">{recordingLimitText(project.maxRecordingSeconds)}</td>
                  <td data-label="Created">
                    <Time ms={project.createdAt} dateOnly />
                  </td>
                  {manage ? (
                    <td>
                      <details class="menu" open={props.errorFor === project.id}>
                        <summary>
                          Edit<span class="sr-only"> {project.title}</span>
                        </summary>
                        <div class="menu-body">
                          <form method="post" action={`${base}/${encodeURIComponent(project.id)}`}>
                            <input type="hidden" name="csrf" value={ctx.csrf} />
                            <label for={`title-${project.id}`}>Title</label>
                            <input
                              id={`title-${project.id}`}
                              type="text"
                              name="title"
                              required
                              maxlength={100}
                              value={draftFor(project.id)?.title ?? project.title}
                              aria-invalid={invalid(project.id, 'title')}
                            />
                            {errorAt(project.id, 'title')}
                            <label for={`retention-${project.id}`}>Retention in days (empty: keep)</label>
                            <input
                              id={`retention-${project.id}`}
                              type="number"
                              name="retention_days"
                              min={1}
                              max={MAX_RETENTION_DAYS}
                              value={
                                draftFor(project.id)?.retention ??
                                (project.retentionDays === null ? '' : String(project.retentionDays))
                              }
                              aria-invalid={invalid(project.id, 'retentionDays')}
                              aria-describedby={`retention-hint-${project.id}`}
                            />
                            <p class="hint" id={`retention-hint-${project.id}`}>
                              Changing retention applies to new recordings only: recordings already made keep
                              their expiry date (change it on a recording's page).
                            </p>
                            {errorAt(project.id, 'retentionDays')}
                            <label for={`max-seconds-${project.id}`}>
                              Longest recording in seconds (empty: {DEFAULT_MAX_RECORDING_SECONDS})
                            </label>
                            <input
                              id={`max-seconds-${project.id}`}
                              type="number"
                              name="max_recording_seconds"
                              min={1}
                              max={MAX_RECORDING_SECONDS_LIMIT}
                              value={
                                draftFor(project.id)?.maxSeconds ??
                                (project.maxRecordingSeconds === null
                                  ? ''
                                  : String(project.maxRecordingSeconds))
                              }
                              aria-invalid={invalid(project.id, 'maxRecordingSeconds')}
                            />
                            {errorAt(project.id, 'maxRecordingSeconds')}
                            <button type="submit">Save</button>
                          </form>
                          {project.isDefault ? (
                            <p class="muted">The default project cannot be deleted.</p>
                          ) : (
                            <form method="post" action={`${base}/${encodeURIComponent(project.id)}/delete`}>
                              <p class="hint">
                                Its links and recordings are deleted with it, and removed for good after the
                                grace period for deleted items.
                              </p>
                              <input type="hidden" name="csrf" value={ctx.csrf} />
                              <button type="submit" class="danger">
                                Delete project<span class="sr-only"> {project.title}</span>
                              </button>
                            </form>
                          )}
                        </div>
                      </details>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {manage ? (
        <section class="card" aria-labelledby="new-project-heading">
          <h2 id="new-project-heading">New project</h2>
          <form method="post" action={base}>
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <label for="new-project-title">Title</label>
            <input
              id="new-project-title"
              type="text"
              name="title"
              required
              maxlength={100}
              value={newDraft?.title ?? ''}
              aria-invalid={invalid('new', 'title')}
            />
            {errorAt('new', 'title')}
            <label for="new-project-retention">Retention in days (empty: keep recordings)</label>
            <input
              id="new-project-retention"
              type="number"
              name="retention_days"
              min={1}
              max={MAX_RETENTION_DAYS}
              value={newDraft?.retention ?? ''}
              aria-invalid={invalid('new', 'retentionDays')}
            />
            {errorAt('new', 'retentionDays')}
            <label for="new-project-max-seconds">
              Longest recording in seconds (empty: {DEFAULT_MAX_RECORDING_SECONDS})
            </label>
            <input
              id="new-project-max-seconds"
              type="number"
              name="max_recording_seconds"
              min={1}
              max={MAX_RECORDING_SECONDS_LIMIT}
              value={newDraft?.maxSeconds ?? ''}
              aria-invalid={invalid('new', 'maxRecordingSeconds')}
            />
            {errorAt('new', 'maxRecordingSeconds')}
            <button type="submit">Create project</button>
          </form>
        </section>
      ) : (
        <p class="muted">Only owners and admins can create, edit or delete projects.</p>
      )}
    </>
  );
}

function DomainsBody(props: {
  frame: SettingsFrame;
  domains: Domain[];
  publicUrl: string;
  error?: string | undefined;
  errorFor?: string | undefined;
  draft?: string | undefined;
}) {
  const { ctx, ws } = props.frame;
  const manage = can(ws.access.member.role, 'domain.manage');
  const base = settingsPath(ws.current.id, 'domains');
  return (
    <>
      <section class="card" aria-labelledby="domains-heading">
        <h2 id="domains-heading">Domains</h2>
        <p class="muted">
          The customer sites your recording links belong to. Only a verified domain can carry new links.
        </p>
        {props.domains.length === 0 ? (
          <p>
            No domains yet.{' '}
            {manage
              ? 'Add the site your customers use below, then verify it.'
              : 'Ask an owner or admin to add the site your customers use.'}
          </p>
        ) : (
          <ul class="domain-list">
            {props.domains.map((domain) => (
              <li class="domain">
                <h3>
                  {domain.host}{' '}
                  <span class={`badge ${domain.status === 'verified' ? 'verified' : 'unverified'}`}>
                    {domain.status === 'verified'
                      ? 'Verified'
                      : domain.status === 'pending'
                        ? 'Pending'
                        : 'Revoked'}
                  </span>
                </h3>
                {domain.status !== 'verified' && manage ? (
                  <div class="instructions">
                    <p>Prove you control {domain.host} with either of these, then press Verify:</p>
                    <ol>
                      <li>
                        Add this tag to the <code>&lt;head&gt;</code> of <code>https://{domain.host}/</code>:
                        <pre>
                          <code>{`<meta name="${VERIFICATION_META_NAME}" content="${domain.verificationToken}">`}</code>
                        </pre>
                      </li>
                      <li>
                        or serve a file at{' '}
                        <code>
                          https://{domain.host}
                          {VERIFICATION_FILE_PATH}
                        </code>{' '}
                        containing:
                        <pre>
                          <code>{domain.verificationToken}</code>
                        </pre>
                      </li>
                    </ol>
                    {props.errorFor === domain.id ? <FormError error={props.error} /> : null}
                    <form method="post" action={`${base}/${encodeURIComponent(domain.id)}/verify`}>
                      <input type="hidden" name="csrf" value={ctx.csrf} />
                      <button type="submit">
                        Verify<span class="sr-only"> {domain.host}</span>
                      </button>
                    </form>
                  </div>
                ) : null}
                {domain.status === 'verified' ? (
                  <p class="muted">
                    Verified <Time ms={domain.verifiedAt} />
                  </p>
                ) : null}
                {manage ? (
                  <details class="menu">
                    <summary>
                      Delete<span class="sr-only"> {domain.host}</span>…
                    </summary>
                    <div class="menu-body">
                      <p>Existing links keep working for recordings already made; new links cannot use it.</p>
                      <form method="post" action={`${base}/${encodeURIComponent(domain.id)}/delete`}>
                        <input type="hidden" name="csrf" value={ctx.csrf} />
                        <button type="submit" class="danger">
                          Delete {domain.host}
                        </button>
                      </form>
                    </div>
                  </details>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      {manage ? (
        <section class="card" aria-labelledby="new-domain-heading">
          <h2 id="new-domain-heading">Add a domain</h2>
          <form method="post" action={base}>
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <label for="new-domain-url">Site</label>
            <input
              id="new-domain-url"
              type="text"
              name="url"
              required
              maxlength={300}
              placeholder="app.example.com"
              value={props.draft ?? ''}
            />
            {props.errorFor === 'new' ? <FormError error={props.error} /> : null}
            <button type="submit">Add domain</button>
          </form>
        </section>
      ) : (
        <p class="muted">Only owners and admins can add, verify or delete domains.</p>
      )}
      <p class="muted">
        Recording links open on <code>{props.publicUrl}</code>; the domain says which customer site they are
        for.
      </p>
    </>
  );
}

/** attempt(), also keeping the field a refusal names, so the page can show the message beside it. */
async function attemptNamingField<T>(action: () => Promise<T>) {
  let field: string | undefined;
  const result = await attempt(async () => {
    try {
      return await action();
    } catch (error) {
      if (error instanceof ApiError) field = error.field;
      throw error;
    }
  });
  return result.ok ? result : { ...result, field };
}

function fieldOf(result: { field?: string | undefined }): { errorField?: string } {
  return result.field === undefined ? {} : { errorField: result.field };
}

/** A number field as typed: empty → null, a number → that number. */
function numberInput(text: string): number | null | string {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  // Not a number: handed on as-is so the service's validation names the field.
  return Number.isFinite(n) ? n : trimmed;
}

/** Workspace Settings, Team, the invitation page and the audit log; mount at '/'. */
export function createSettingsRoutes(deps: Deps): Hono {
  const app = new Hono();
  const chains: DashboardChains = dashboardChains(deps, 'settings');

  // General.
  const general = async (
    c: Context,
    frame: SettingsFrame,
    extra: { error?: string; deleteError?: string; name?: string } = {},
    status: 200 | 400 | 403 | 409 | 422 = 200,
  ) => {
    const storage = await getWorkspaceStorage(deps, frame.ws.access);
    return renderDashboard(
      c,
      <SettingsPage
        frame={frame}
        title="Workspace Settings"
        tab="general"
        flash={flashFrom(c, GENERAL_FLASH)}
      >
        <GeneralBody frame={frame} storage={storage} {...extra} />
      </SettingsPage>,
      status,
    );
  };

  app.get('/w/:ws/settings', ...chains.page, async (c) => general(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/rename', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    const name = field('name', 200);
    const result = await attempt(() => renameWorkspace(deps, frame.ws.access, name));
    if (!result.ok) return general(c, frame, { error: result.error, name }, result.status);
    return redirectWithFlash(c, settingsPath(frame.ws.current.id), 'renamed');
  });

  app.post('/w/:ws/settings/delete', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    // The role check comes first: a member or admin learns nothing from the confirmation.
    if (!can(frame.ws.access.member.role, 'workspace.delete')) {
      await deleteWorkspace(deps, frame.ws.access); // throws 403 FORBIDDEN naming the role
    }
    if (field('confirm', 200) !== frame.ws.current.name) {
      return general(
        c,
        frame,
        { deleteError: `Type the workspace name exactly (${frame.ws.current.name}) to delete it.` },
        400,
      );
    }
    await deleteWorkspace(deps, frame.ws.access);
    deps.log.info({ workspaceId: frame.ws.current.id, userId: frame.ctx.user.id }, 'workspace deleted');
    return c.redirect('/?done=workspace-deleted', 303);
  });

  // Projects.
  const projects = async (
    c: Context,
    frame: SettingsFrame,
    extra: { error?: string; errorFor?: string; errorField?: string; draft?: ProjectDraft } = {},
    status: 200 | 400 | 403 | 409 | 422 = 200,
  ) => {
    const list = await listProjects(deps, frame.ws.access, { page: 1, perPage: 100 });
    return renderDashboard(
      c,
      <SettingsPage frame={frame} title="Projects" tab="projects" flash={flashFrom(c, PROJECT_FLASH)}>
        <ProjectsBody frame={frame} projects={list.items} {...extra} />
      </SettingsPage>,
      status,
    );
  };

  /** The project form's fields as typed, and as the service takes them. */
  const projectForm = (field: (name: string, max?: number) => string) => {
    const draft: ProjectDraft = {
      title: field('title', 200),
      retention: field('retention_days', 20),
      maxSeconds: field('max_recording_seconds', 20),
    };
    // Not-a-number text is handed on as-is (the casts) so the service's validation names the field.
    const input = {
      title: draft.title,
      retentionDays: numberInput(draft.retention) as number | null,
      maxRecordingSeconds: numberInput(draft.maxSeconds) as number | null,
    };
    return { draft, input };
  };

  app.get('/w/:ws/settings/projects', ...chains.page, async (c) => projects(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/projects', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const { draft, input } = projectForm(await formFields(c));
    const result = await attemptNamingField(() => createProject(deps, frame.ws.access, input));
    if (!result.ok)
      return projects(
        c,
        frame,
        { error: result.error, errorFor: 'new', ...fieldOf(result), draft },
        result.status,
      );
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'projects'), 'created');
  });

  app.post('/w/:ws/settings/projects/:id', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const { draft, input } = projectForm(await formFields(c));
    const id = c.req.param('id');
    const result = await attemptNamingField(() => updateProject(deps, frame.ws.access, id, input));
    if (!result.ok)
      return projects(
        c,
        frame,
        { error: result.error, errorFor: id, ...fieldOf(result), draft },
        result.status,
      );
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'projects'), 'updated');
  });

  app.post('/w/:ws/settings/projects/:id/delete', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    await deleteProject(deps, frame.ws.access, c.req.param('id'));
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'projects'), 'deleted');
  });

  // Domains.
  const domains = async (
    c: Context,
    frame: SettingsFrame,
    extra: { error?: string; errorFor?: string; draft?: string } = {},
    status: 200 | 400 | 403 | 409 | 422 = 200,
  ) => {
    const list = await listDomains(deps, frame.ws.access);
    return renderDashboard(
      c,
      <SettingsPage frame={frame} title="Domains" tab="domains" flash={flashFrom(c, DOMAIN_FLASH)}>
        <DomainsBody frame={frame} domains={list} publicUrl={deps.config.publicUrl} {...extra} />
      </SettingsPage>,
      status,
    );
  };

  app.get('/w/:ws/settings/domains', ...chains.page, async (c) => domains(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/domains', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    const url = field('url', 300);
    const result = await attempt(() => addDomain(deps, frame.ws.access, { url }));
    if (!result.ok)
      return domains(c, frame, { error: result.error, errorFor: 'new', draft: url }, result.status);
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'domains'), 'added');
  });

  app.post('/w/:ws/settings/domains/:id/verify', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const id = c.req.param('id');
    const result = await attempt(() => verifyDomain(deps, frame.ws.access, id));
    if (!result.ok) return domains(c, frame, { error: result.error, errorFor: id }, result.status);
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'domains'), 'verified');
  });

  app.post('/w/:ws/settings/domains/:id/delete', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    await deleteDomain(deps, frame.ws.access, c.req.param('id'));
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'domains'), 'deleted');
  });

  app.route('/', createTeamRoutes(deps, chains));
  app.route('/', createAuditRoutes(deps, chains));
  return app;
}
