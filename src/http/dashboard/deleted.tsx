import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { type DeletedLink, listDeletedLinks, restoreLink } from '../../services/links.ts';
import { type DeletedRecording, listDeletedRecordings, restoreRecording } from '../../services/recordings.ts';
import type { DashboardChains } from './chains.ts';
import {
  type DashboardContext,
  loadDashboardContext,
  requireWorkspace,
  type WorkspaceContext,
} from './context.ts';
import { ListTable, PostForm, WorkspacePage, workspacePath } from './kit.tsx';
import { formatDuration, Pager, pageParam, renderDashboard, Time } from './shell.tsx';

// "Recently deleted" (issue 9): the workspace's deleted recordings and links that can still be
// restored, each with the date the retention job removes it for good, and a Restore button (a
// CSRF-protected POST form) for those the caller may restore — the people who may delete it. Any
// member sees the list, as any member reads recordings and links. Reached from the Recordings and
// Links pages.

const PER_PAGE = 25;

/** The "Recently deleted" page of a workspace. */
export function deletedPath(workspaceId: string): string {
  return `${workspacePath(workspaceId)}/deleted`;
}

/** Where a deleted recording's Restore button posts. */
export function restoreRecordingPath(workspaceId: string, recordingId: string): string {
  return `${workspacePath(workspaceId)}/recordings/${encodeURIComponent(recordingId)}/restore`;
}

/** Where a deleted link's Restore button posts. */
export function restoreLinkPath(workspaceId: string, linkId: string): string {
  return `${workspacePath(workspaceId)}/links/${encodeURIComponent(linkId)}/restore`;
}

/** The Restore button: a POST form carrying the CSRF token, like the delete forms. */
export function RestoreForm(props: { action: string; csrf: string; label: string }) {
  return (
    <PostForm
      action={props.action}
      csrf={props.csrf}
      class="inline-form"
      button="Restore"
      buttonClass="secondary small"
      buttonLabel={props.label}
    />
  );
}

/** The last cells of a deleted item's row: when it was deleted, when it goes for good, Restore. */
function DeletedCells(props: {
  deletedAt: number | null;
  purgeAt: number | null;
  csrf: string;
  /** Where Restore posts; null when the caller may not restore it. */
  restore: string | null;
  label: string;
}) {
  return (
    <>
      <td data-label="Deleted">
        <Time ms={props.deletedAt} />
      </td>
      <td data-label="Removed for good on">
        <Time ms={props.purgeAt} />
      </td>
      <td class="row-actions">
        {props.restore ? <RestoreForm action={props.restore} csrf={props.csrf} label={props.label} /> : null}
      </td>
    </>
  );
}

function DeletedPage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  recordings: { items: DeletedRecording[]; page: number; total: number };
  links: { items: DeletedLink[]; page: number; total: number };
  days: number;
}) {
  const { ctx, ws } = props;
  const id = ws.current.id;
  const href = (r: number, l: number) => {
    const q = new URLSearchParams();
    if (r > 1) q.set('recordings_page', String(r));
    if (l > 1) q.set('links_page', String(l));
    const qs = q.toString();
    return `${deletedPath(id)}${qs ? `?${qs}` : ''}`;
  };
  return (
    <WorkspacePage ctx={ctx} ws={ws} title="Recently deleted">
      <p class="muted">
        <a href={`${workspacePath(id)}/recordings`}>← Recordings</a> ·{' '}
        <a href={`${workspacePath(id)}/links`}>Links</a>
      </p>
      <h1>Recently deleted</h1>
      <p class="muted">
        Deleted recordings and links can be restored for {props.days} days. After that they are removed for
        good, with the recordings' videos and logs. Admins, owners and the creator of a link can restore it
        and its recordings.
      </p>

      <section class="card" aria-labelledby="deleted-recordings-heading">
        <h2 id="deleted-recordings-heading">Recordings</h2>
        <ListTable
          caption="Deleted recordings, most recently deleted first"
          columns={[
            'Recording',
            'Creator',
            'Duration',
            'Deleted',
            'Removed for good on',
            { hidden: 'Actions' },
          ]}
          items={props.recordings.items}
          empty={<p class="muted">No deleted recordings to restore.</p>}
          row={({ recording: r, purgeAt, canRestore }) => {
            const title = r.link.title ?? 'Untitled link';
            return (
              <tr data-recording-id={r.id}>
                <td data-label="Recording">
                  {title}
                  <div class="muted">
                    {r.project.title} · {r.domain.host} · recorded <Time ms={r.createdAt} />
                  </div>
                </td>
                <td data-label="Creator">{r.creator.name}</td>
                <td data-label="Duration">{formatDuration(r.durationMs)}</td>
                <DeletedCells
                  deletedAt={r.deletedAt}
                  purgeAt={purgeAt}
                  csrf={ctx.csrf}
                  restore={canRestore ? restoreRecordingPath(id, r.id) : null}
                  label={`Restore the recording of ${title}`}
                />
              </tr>
            );
          }}
        />
        <Pager
          page={props.recordings.page}
          perPage={PER_PAGE}
          total={props.recordings.total}
          hrefFor={(page) => href(page, props.links.page)}
        />
      </section>

      <section class="card" aria-labelledby="deleted-links-heading">
        <h2 id="deleted-links-heading">Links</h2>
        <ListTable
          caption="Deleted links, most recently deleted first"
          columns={['Title', 'Domain', 'Creator', 'Deleted', 'Removed for good on', { hidden: 'Actions' }]}
          items={props.links.items}
          empty={<p class="muted">No deleted links to restore.</p>}
          row={({ link, purgeAt, canRestore }) => {
            const title = link.title ?? 'Untitled link';
            return (
              <tr data-link-id={link.id}>
                <td data-label="Title">
                  {title}
                  <div class="muted">{link.project.title}</div>
                </td>
                <td data-label="Domain">{link.domain.host}</td>
                <td data-label="Creator">{link.creator.name}</td>
                <DeletedCells
                  deletedAt={link.deletedAt}
                  purgeAt={purgeAt}
                  csrf={ctx.csrf}
                  restore={canRestore ? restoreLinkPath(id, link.id) : null}
                  label={`Restore the link ${title}`}
                />
              </tr>
            );
          }}
        />
        <Pager
          page={props.links.page}
          perPage={PER_PAGE}
          total={props.links.total}
          hrefFor={(page) => href(props.recordings.page, page)}
        />
      </section>
    </WorkspacePage>
  );
}

/** "Recently deleted" and the two restore forms' targets; mount at '/'. */
export function createDeletedPages(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  app.get('/w/:ws/deleted', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const recordingsPage = pageParam(c.req.query('recordings_page'));
    const linksPage = pageParam(c.req.query('links_page'));
    const [recordings, links] = await Promise.all([
      listDeletedRecordings(deps, ws.access, { page: recordingsPage, perPage: PER_PAGE }),
      listDeletedLinks(deps, ws.access, { page: linksPage, perPage: PER_PAGE }),
    ]);
    return renderDashboard(
      c,
      <DeletedPage
        ctx={ctx}
        ws={ws}
        recordings={recordings}
        links={links}
        days={deps.config.deletedRetentionDays}
      />,
    );
  });

  app.post('/w/:ws/recordings/:id/restore', ...chains.form, async (c) => {
    await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    // The service refuses anyone but admins, owners and the link's creator, and anything past the
    // grace period (403 / 410 pages, nothing changes).
    const { recording, linkDeleted } = await restoreRecording(deps, ws.access, c.req.param('id'));
    const flash = linkDeleted ? 'recording-restored-link-deleted' : 'recording-restored';
    return c.redirect(
      `${workspacePath(ws.current.id)}/recordings/${encodeURIComponent(recording.id)}?flash=${flash}`,
      303,
    );
  });

  app.post('/w/:ws/links/:id/restore', ...chains.form, async (c) => {
    await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    await restoreLink(deps, ws.access, c.req.param('id'));
    return c.redirect(`${workspacePath(ws.current.id)}/links?flash=link-restored`, 303);
  });

  return app;
}
