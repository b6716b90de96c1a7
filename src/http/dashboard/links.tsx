import { type Context, Hono } from 'hono';
import { ApiError } from '../../domain/errors.ts';
import { canDelete } from '../../domain/permissions.ts';
import { jsonTextIssue } from '../../domain/text-rules.ts';
import type { Domain, Link, Page, Project, Recording } from '../../domain/types.ts';
import { linkUrl } from '../../domain/wire.ts';
import type { Deps } from '../../services/deps.ts';
import { listDomains } from '../../services/domains.ts';
import {
  createLink,
  deleteLink,
  getLink,
  listLinks,
  MAX_LINK_META_BYTES,
  MAX_LINK_TITLE,
  updateLink,
} from '../../services/links.ts';
import { listProjects } from '../../services/projects.ts';
import { listRecordings } from '../../services/recordings.ts';
import type { DashboardChains } from './chains.ts';
import {
  type DashboardContext,
  loadDashboardContext,
  notFoundPage,
  requireWorkspace,
  stopWith,
  type WorkspaceContext,
} from './context.ts';
import { deletedPath } from './deleted.tsx';
import {
  ConfirmDelete,
  ConfirmDeletePage,
  CopyField,
  ListTable,
  WorkspacePage,
  workspacePath,
} from './kit.tsx';
import { CsrfField, formatDuration, Pager, pageParam, renderDashboard, Time } from './shell.tsx';

// Links (PRODUCT.md §6): the workspace's recording links with a copyable URL, a create form, an
// edit page and delete (offered to admins, owners and the link's creator; the service refuses
// everyone else anyway). Forms post and redirect back with a flash message; errors re-render the
// form with what was typed.

const PER_PAGE = 25;
const CHOICES = { page: 1, perPage: 100 };

const FLASH: Record<string, string> = {
  'link-created': 'Link created. Copy it and send it to a customer.',
  'link-updated': 'Link saved.',
  'link-deleted':
    'Link deleted. Recordings made through it are kept. You can restore it from Recently deleted.',
  'link-restored': 'Link restored: customers can record through it again.',
  'link-gone': 'That link has been deleted.',
};

function linkPath(workspaceId: string, linkId: string): string {
  return `${workspacePath(workspaceId)}/links/${encodeURIComponent(linkId)}`;
}

function mayDelete(ws: WorkspaceContext, link: Link): boolean {
  return canDelete(
    { role: ws.access.member.role, memberId: ws.access.member.id },
    'link.delete',
    link.creator.memberId,
  );
}

interface LinkForm {
  domainId: string;
  projectId: string;
  title: string;
  reusable: boolean;
  meta: string;
}

const EMPTY_FORM: LinkForm = { domainId: '', projectId: '', title: '', reusable: false, meta: '' };

interface FormError {
  field?: string | undefined;
  message: string;
}

function text(form: Record<string, unknown>, name: string, max: number): string {
  const value = form[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function readForm(form: Record<string, unknown>): LinkForm {
  return {
    domainId: text(form, 'domain', 100),
    projectId: text(form, 'project', 100),
    title: text(form, 'title', MAX_LINK_TITLE * 2),
    reusable: form.reusable === 'on' || form.reusable === '1',
    meta: text(form, 'meta', MAX_LINK_META_BYTES * 4),
  };
}

/** The metadata textarea as an object: empty means {}; anything but a JSON object is refused. */
function parseMeta(value: string): Record<string, unknown> | FormError {
  if (value.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { field: 'meta', message: 'Metadata must be valid JSON, for example {"ticket": "4711"}.' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { field: 'meta', message: 'Metadata must be a JSON object, for example {"ticket": "4711"}.' };
  }
  // The textarea itself passed the form's text rule, but JSON escapes ("\u0000") can still spell
  // what the rule refuses: the parsed values go through it too (domain/text-rules.ts, S38).
  const issue = jsonTextIssue(parsed);
  if (issue) {
    const where = issue.path.length > 0 ? `at ${issue.path.join('.')} ` : '';
    return { field: 'meta', message: `Metadata ${where}${issue.message}.` };
  }
  if (Buffer.byteLength(JSON.stringify(parsed), 'utf8') > MAX_LINK_META_BYTES) {
    return { field: 'meta', message: `Metadata must be at most ${MAX_LINK_META_BYTES / 1024} KB as JSON.` };
  }
  return parsed as Record<string, unknown>;
}

function isFormError(value: unknown): value is FormError {
  return (
    typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string'
  );
}

/** A service refusal as a form error; anything that is not the form's fault is rethrown. */
function formErrorOf(error: unknown): FormError {
  if (!(error instanceof ApiError) || error.status >= 500) throw error;
  if (error.code === 'NOT_A_MEMBER') throw error;
  const field = error.field === 'domainId' ? 'domain' : error.field === 'projectId' ? 'project' : error.field;
  // Service messages lead with the field name ("title: must be …"); the form labels it already.
  return { field, message: error.message.replace(/^[A-Za-z]+: /, '') };
}

function FieldError(props: { id: string; error?: FormError | undefined; field: string }) {
  if (!props.error || props.error.field !== props.field) return null;
  return (
    <p id={props.id} class="error" role="alert">
      {props.error.message}
    </p>
  );
}

function invalid(error: FormError | undefined, field: string) {
  return error?.field === field ? { 'aria-invalid': 'true', 'aria-describedby': `${field}-error` } : {};
}

function GeneralError(props: { error?: FormError | undefined; fields: string[] }) {
  const e = props.error;
  if (!e || (e.field && props.fields.includes(e.field))) return null;
  return (
    <p class="error" role="alert">
      {e.message}
    </p>
  );
}

function MetaField(props: { value: string; error?: FormError | undefined; id: string }) {
  return (
    <>
      <label for={props.id}>Metadata (optional JSON object, at most 10 KB)</label>
      <textarea id={props.id} name="meta" rows={4} spellcheck={false} {...invalid(props.error, 'meta')}>
        {props.value}
      </textarea>
      <p class="hint">Copied onto every recording made through this link, e.g. {'{"ticket": "4711"}'}.</p>
      <FieldError id="meta-error" error={props.error} field="meta" />
    </>
  );
}

/** The title, reuse and metadata fields of the create and edit forms (ids `<idPrefix>-title`, …). */
function LinkFields(props: {
  idPrefix: string;
  values: LinkForm;
  error?: FormError | undefined;
  placeholder?: string | undefined;
}) {
  const { idPrefix, values, error } = props;
  return (
    <>
      <label for={`${idPrefix}-title`}>Title (optional)</label>
      <input
        id={`${idPrefix}-title`}
        type="text"
        name="title"
        maxlength={MAX_LINK_TITLE}
        value={values.title}
        placeholder={props.placeholder}
        {...invalid(error, 'title')}
      />
      <FieldError id="title-error" error={error} field="title" />
      <div class="checkbox">
        <input id={`${idPrefix}-reusable`} type="checkbox" name="reusable" checked={values.reusable} />
        <label for={`${idPrefix}-reusable`}>Reusable (anyone with the link can record more than once)</label>
      </div>
      <MetaField id={`${idPrefix}-meta`} value={values.meta} error={error} />
    </>
  );
}

function CreateForm(props: {
  ws: WorkspaceContext;
  csrf: string;
  domains: Domain[];
  projects: Project[];
  values: LinkForm;
  error?: FormError | undefined;
}) {
  const { ws, values, error } = props;
  const id = ws.current.id;
  if (props.domains.length === 0) {
    return (
      <section class="card" aria-labelledby="create-heading">
        <h2 id="create-heading">Create a link</h2>
        <p>
          Links record on your own site, so the workspace first needs a verified domain.{' '}
          {ws.current.role === 'member'
            ? 'Ask an owner or admin to add and verify your site’s domain in Workspace Settings.'
            : 'Add your site’s domain and verify it in Workspace Settings, then come back here.'}
        </p>
        {ws.current.role === 'member' ? null : (
          <p>
            <a class="button" href={`${workspacePath(id)}/settings`}>
              Go to Workspace Settings
            </a>
          </p>
        )}
      </section>
    );
  }
  return (
    <section class="card" aria-labelledby="create-heading">
      <h2 id="create-heading">Create a link</h2>
      <form method="post" action={`${workspacePath(id)}/links`}>
        <CsrfField csrf={props.csrf} />
        <GeneralError error={error} fields={['domain', 'project', 'title', 'meta']} />
        <div class="form-grid">
          <div>
            <label for="link-domain">Domain</label>
            <select id="link-domain" name="domain" required {...invalid(error, 'domain')}>
              {props.domains.map((d) => (
                <option value={d.id} selected={d.id === values.domainId}>
                  {d.host}
                </option>
              ))}
            </select>
            <FieldError id="domain-error" error={error} field="domain" />
          </div>
          <div>
            <label for="link-project">Project</label>
            <select id="link-project" name="project" {...invalid(error, 'project')}>
              {props.projects.map((p) => (
                <option value={p.id} selected={values.projectId ? p.id === values.projectId : p.isDefault}>
                  {p.title}
                </option>
              ))}
            </select>
            <FieldError id="project-error" error={error} field="project" />
          </div>
        </div>
        <LinkFields
          idPrefix="link"
          values={values}
          error={error}
          placeholder="e.g. Checkout fails for ACME"
        />
        <div class="actions">
          <button type="submit">Create link</button>
        </div>
      </form>
    </section>
  );
}

function LinksPage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  flash?: string | undefined;
  links: Link[];
  page: number;
  total: number;
  domains: Domain[];
  projects: Project[];
  values: LinkForm;
  error?: FormError | undefined;
  publicUrl: string;
  /** DELETED_RETENTION_DAYS: how long a deleted link can be restored. */
  restoreDays: number;
}) {
  const { ctx, ws } = props;
  const id = ws.current.id;
  return (
    <WorkspacePage ctx={ctx} ws={ws} title="Links" section="links" flash={props.flash}>
      <h1>Links</h1>
      <p class="muted">
        Send a link to a customer; when they open it they can record their screen on your site, and the
        recording appears under <a href={`${workspacePath(id)}/recordings`}>Recordings</a>.{' '}
        <a href={deletedPath(id)}>Recently deleted</a>
      </p>
      <ListTable
        caption="Links, newest first"
        columns={[
          'Title',
          'Link',
          'Domain',
          'Project',
          'Creator',
          'Reusable',
          'Created',
          { hidden: 'Actions' },
        ]}
        items={props.links}
        empty={
          <div class="card empty">
            <h2>No links yet</h2>
            <p>Create your first link below, then copy it into a chat or email to a customer.</p>
          </div>
        }
        row={(link) => {
          const title = link.title ?? 'Untitled link';
          return (
            <tr data-link-id={link.id}>
              <td data-label="Title">{title}</td>
              <td data-label="Link">
                <CopyField
                  small
                  id={`url-${link.id}`}
                  value={linkUrl(props.publicUrl, link.id)}
                  label={`Link URL of ${title}`}
                />
              </td>
              <td data-label="Domain">{link.domain.host}</td>
              <td data-label="Project">{link.project.title}</td>
              <td data-label="Creator">{link.creator.name}</td>
              <td data-label="Reusable">{link.reusable ? 'Yes' : 'No'}</td>
              <td data-label="Created">
                <Time ms={link.createdAt} dateOnly />
              </td>
              <td class="row-actions">
                <a href={`${linkPath(id, link.id)}/edit`} aria-label={`Edit ${title}`}>
                  Edit
                </a>
                {mayDelete(ws, link) ? (
                  <>
                    <a
                      href={`${linkPath(id, link.id)}/delete`}
                      class="danger-link"
                      data-confirm={`delete-${link.id}`}
                      aria-label={`Delete ${title}`}
                    >
                      Delete
                    </a>
                    <DeleteDialog
                      restoreDays={props.restoreDays}
                      id={`delete-${link.id}`}
                      title={title}
                      action={`${linkPath(id, link.id)}/delete`}
                      csrf={ctx.csrf}
                    />
                  </>
                ) : null}
              </td>
            </tr>
          );
        }}
      />
      <Pager
        page={props.page}
        perPage={PER_PAGE}
        total={props.total}
        hrefFor={(page) => `${workspacePath(id)}/links${page > 1 ? `?page=${page}` : ''}`}
      />
      <CreateForm
        ws={ws}
        csrf={ctx.csrf}
        domains={props.domains}
        projects={props.projects}
        values={props.values}
        error={props.error}
      />
    </WorkspacePage>
  );
}

/** What deleting a link does, in its dialog and on its confirmation page. */
function DeleteWarning(props: { restoreDays: number }) {
  return (
    <>
      Customers can no longer record through it. Recordings already made through it are kept. You can restore
      it from Recently deleted for {props.restoreDays} days.
    </>
  );
}

function DeleteDialog(props: {
  id: string;
  title: string;
  action: string;
  csrf: string;
  restoreDays: number;
}) {
  return (
    <ConfirmDelete
      dialog={props.id}
      heading={`Delete “${props.title}”?`}
      action={props.action}
      csrf={props.csrf}
      button="Delete link"
    >
      <DeleteWarning restoreDays={props.restoreDays} />
    </ConfirmDelete>
  );
}

function EditPage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  link: Link;
  values: LinkForm;
  error?: FormError | undefined;
  publicUrl: string;
  /** DELETED_RETENTION_DAYS: how long a deleted link can be restored. */
  restoreDays: number;
  /** The link's latest recordings, newest first. */
  recordings: Page<Recording>;
}) {
  const { ctx, ws, link, values, error } = props;
  const base = linkPath(ws.current.id, link.id);
  return (
    <WorkspacePage ctx={ctx} ws={ws} title="Edit link" section="links">
      <p class="muted">
        <a href={`${workspacePath(ws.current.id)}/links`}>← All links</a>
      </p>
      <div class="card narrow">
        <h1>Edit link</h1>
        <CopyField small id="link-url" value={linkUrl(props.publicUrl, link.id)} label="Link URL" />
        <dl class="facts">
          <dt>Domain</dt>
          <dd>{link.domain.host}</dd>
          <dt>Project</dt>
          <dd>{link.project.title}</dd>
          <dt>Creator</dt>
          <dd>{link.creator.name}</dd>
        </dl>
        <h2>Recordings</h2>
        {props.recordings.items.length === 0 ? (
          <p class="muted">No recordings yet. When a customer records through this link, it shows up here.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Recordings made through this link, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Recorded</th>
                <th scope="col">Length</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.recordings.items.map((r) => (
                <tr>
                  <td>
                    <a href={`${workspacePath(ws.current.id)}/recordings/${encodeURIComponent(r.id)}`}>
                      <Time ms={r.createdAt} />
                    </a>
                  </td>
                  <td>{formatDuration(r.durationMs)}</td>
                  <td>{r.status === 'ready' ? 'Ready' : r.status === 'pending' ? 'Uploading' : 'Failed'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <a href={`${workspacePath(ws.current.id)}/recordings?link=${encodeURIComponent(link.id)}`}>
            All recordings made through this link
            {props.recordings.total > props.recordings.items.length ? ` (${props.recordings.total})` : ''}
          </a>
        </p>
        <form method="post" action={base}>
          <CsrfField csrf={ctx.csrf} />
          <GeneralError error={error} fields={['title', 'meta']} />
          <LinkFields idPrefix="edit" values={values} error={error} />
          <div class="actions">
            <a href={`${workspacePath(ws.current.id)}/links`}>Cancel</a>
            <button type="submit">Save</button>
          </div>
        </form>
        {mayDelete(ws, link) ? (
          <p>
            <a href={`${base}/delete`} class="danger-link" data-confirm="delete-dialog">
              Delete this link…
            </a>
            <DeleteDialog
              restoreDays={props.restoreDays}
              id="delete-dialog"
              title={link.title ?? 'Untitled link'}
              action={`${base}/delete`}
              csrf={ctx.csrf}
            />
          </p>
        ) : null}
      </div>
    </WorkspacePage>
  );
}

function valuesOf(link: Link): LinkForm {
  return {
    domainId: link.domain.id,
    projectId: link.project.id,
    title: link.title ?? '',
    reusable: link.reusable,
    meta: Object.keys(link.meta).length === 0 ? '' : JSON.stringify(link.meta, null, 2),
  };
}

/** A live link of the workspace, or the page that ends the request (gone → 410, unknown → 404, S39). */
async function loadLink(c: Context, deps: Deps, ws: WorkspaceContext, linkId: string): Promise<Link> {
  try {
    return await getLink(deps, ws.access, linkId);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'LINK_GONE') {
      stopWith(c.redirect(`${workspacePath(ws.current.id)}/links?flash=link-gone`, 303));
    }
    if (error instanceof ApiError && error.status < 500) stopWith(notFoundPage(c));
    throw error;
  }
}

/** The Links pages; mount at '/'. */
export function createLinksPages(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();
  const publicUrl = deps.config.publicUrl;

  async function renderList(
    c: Context,
    ctx: DashboardContext,
    ws: WorkspaceContext,
    values: LinkForm,
    error?: FormError,
  ): Promise<Response> {
    const page = pageParam(c.req.query('page'));
    const [links, domains, projects] = await Promise.all([
      listLinks(deps, ws.access, { page, perPage: PER_PAGE }),
      listDomains(deps, ws.access, { status: 'verified' }),
      listProjects(deps, ws.access, CHOICES),
    ]);
    const flashKey = c.req.query('flash');
    return renderDashboard(
      c,
      <LinksPage
        ctx={ctx}
        ws={ws}
        flash={flashKey ? FLASH[flashKey] : undefined}
        links={links.items}
        page={page}
        total={links.total}
        domains={domains}
        projects={projects.items}
        values={values}
        error={error}
        publicUrl={publicUrl}
        restoreDays={deps.config.deletedRetentionDays}
      />,
      error ? 400 : 200,
    );
  }

  app.get('/w/:ws/links', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    return renderList(c, ctx, ws, EMPTY_FORM);
  });

  app.post('/w/:ws/links', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const values = readForm(await c.req.parseBody());
    const meta = parseMeta(values.meta);
    if (isFormError(meta)) return renderList(c, ctx, ws, values, meta);
    try {
      await createLink(deps, ws.access, {
        domainId: values.domainId,
        projectId: values.projectId || null,
        title: values.title,
        reusable: values.reusable,
        meta,
      });
    } catch (error) {
      return renderList(c, ctx, ws, values, formErrorOf(error));
    }
    return c.redirect(`${workspacePath(ws.current.id)}/links?flash=link-created`, 303);
  });

  app.get('/w/:ws/links/:id/edit', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const link = await loadLink(c, deps, ws, c.req.param('id'));
    const recordings = await listRecordings(deps, ws.access, { page: 1, perPage: 10, linkId: link.id });
    return renderDashboard(
      c,
      <EditPage
        ctx={ctx}
        ws={ws}
        link={link}
        values={valuesOf(link)}
        publicUrl={publicUrl}
        restoreDays={deps.config.deletedRetentionDays}
        recordings={recordings}
      />,
    );
  });

  app.post('/w/:ws/links/:id', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const link = await loadLink(c, deps, ws, c.req.param('id'));
    const values = {
      ...readForm(await c.req.parseBody()),
      domainId: link.domain.id,
      projectId: link.project.id,
    };
    const meta = parseMeta(values.meta);
    let error: FormError | undefined;
    if (isFormError(meta)) {
      error = meta;
    } else {
      try {
        await updateLink(deps, ws.access, link.id, { title: values.title, reusable: values.reusable, meta });
        return c.redirect(`${workspacePath(ws.current.id)}/links?flash=link-updated`, 303);
      } catch (failure) {
        error = formErrorOf(failure);
      }
    }
    const recordings = await listRecordings(deps, ws.access, { page: 1, perPage: 10, linkId: link.id });
    return renderDashboard(
      c,
      <EditPage
        ctx={ctx}
        ws={ws}
        link={link}
        values={values}
        error={error}
        publicUrl={publicUrl}
        restoreDays={deps.config.deletedRetentionDays}
        recordings={recordings}
      />,
      400,
    );
  });

  app.get('/w/:ws/links/:id/delete', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const link = await loadLink(c, deps, ws, c.req.param('id'));
    if (!mayDelete(ws, link)) return c.redirect(`${linkPath(ws.current.id, link.id)}/edit`, 303);
    return renderDashboard(
      c,
      <ConfirmDeletePage
        ctx={ctx}
        ws={ws}
        title="Delete link"
        section="links"
        heading={`Delete “${link.title ?? 'Untitled link'}”?`}
        action={`${linkPath(ws.current.id, link.id)}/delete`}
        button="Delete link"
        cancel={`${workspacePath(ws.current.id)}/links`}
      >
        <DeleteWarning restoreDays={deps.config.deletedRetentionDays} />
      </ConfirmDeletePage>,
    );
  });

  app.post('/w/:ws/links/:id/delete', ...chains.form, async (c) => {
    await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const link = await loadLink(c, deps, ws, c.req.param('id'));
    // The service refuses a member deleting someone else's link (403 page, nothing changes).
    await deleteLink(deps, ws.access, link.id);
    return c.redirect(`${workspacePath(ws.current.id)}/links?flash=link-deleted`, 303);
  });

  return app;
}
