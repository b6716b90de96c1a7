import { type Context, Hono } from 'hono';
import { ApiError } from '../../domain/errors.ts';
import { can } from '../../domain/permissions.ts';
import type { Project } from '../../domain/types.ts';
import type { Deps } from '../../services/deps.ts';
import {
  createProject,
  DEFAULT_MAX_RECORDING_SECONDS,
  deleteProject,
  listProjects,
  MAX_RECORDING_SECONDS_LIMIT,
  MAX_RETENTION_DAYS,
  updateProject,
} from '../../services/projects.ts';
import type { DashboardChains } from './chains.ts';
import { ActionMenu, ListTable } from './kit.tsx';
import {
  attempt,
  FormError,
  formFields,
  loadSettings,
  redirectWithFlash,
  renderSettings,
  type SettingsFrame,
  type SettingsStatus,
  settingsPath,
} from './settings-common.tsx';
import { Time } from './shell.tsx';

// Workspace Settings > Projects (PRODUCT.md §6): the projects that group recording links, with
// their retention and recording limit; owners and admins create, edit and delete them, and a
// refused form is shown again with the message beside the field it names.

const PROJECT_FLASH = {
  created: 'Project created',
  updated: 'Project saved',
  deleted: 'Project deleted',
};
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
        <ListTable
          columns={['Title', 'Retention', 'Recording limit', 'Created', manage && 'Actions']}
          items={props.projects}
          row={(project) => (
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
                  <ActionMenu
                    open={props.errorFor === project.id}
                    summary={
                      <>
                        Edit<span class="sr-only"> {project.title}</span>
                      </>
                    }
                  >
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
                        Changing retention applies to new recordings only: recordings already made keep their
                        expiry date (change it on a recording's page).
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
                          (project.maxRecordingSeconds === null ? '' : String(project.maxRecordingSeconds))
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
                          Its links and recordings are deleted with it, and removed for good after the grace
                          period for deleted items.
                        </p>
                        <input type="hidden" name="csrf" value={ctx.csrf} />
                        <button type="submit" class="danger">
                          Delete project<span class="sr-only"> {project.title}</span>
                        </button>
                      </form>
                    )}
                  </ActionMenu>
                </td>
              ) : null}
            </tr>
          )}
        />
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

/** Projects: GET /w/:ws/settings/projects, create, edit and delete; mount at '/'. */
export function createProjectsRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  // Projects.
  const projects = async (
    c: Context,
    frame: SettingsFrame,
    extra: { error?: string; errorFor?: string; errorField?: string; draft?: ProjectDraft } = {},
    status: SettingsStatus = 200,
  ) => {
    const list = await listProjects(deps, frame.ws.access, { page: 1, perPage: 100 });
    return renderSettings(
      c,
      frame,
      { title: 'Projects', tab: 'projects', flashes: PROJECT_FLASH },
      <ProjectsBody frame={frame} projects={list.items} {...extra} />,
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

  return app;
}
