import type { Link, Member, Project, Recording } from '../../domain/types.ts';
import { isExpired } from '../../services/recordings.ts';
import type { DashboardContext, WorkspaceContext } from './context.ts';
import { deletedPath } from './deleted.tsx';
import { ListTable, WorkspacePage, workspacePath } from './kit.tsx';
import { recordingPath } from './player.tsx';
import { formatDuration, Pager, Time } from './shell.tsx';

// The Recordings list (PRODUCT.md §6): filters by project, link and creator, the table of
// recordings with their status and expiry, paging, and an empty state that explains where
// recordings come from. The routes are in recordings.tsx.

/** Recordings per page of the list. */
export const PER_PAGE = 25;

export interface ListFilters {
  project?: string | undefined;
  link?: string | undefined;
  creator?: string | undefined;
}

function listHref(workspaceId: string, filters: ListFilters, page: number): string {
  const q = new URLSearchParams();
  if (filters.project) q.set('project', filters.project);
  if (filters.link) q.set('link', filters.link);
  if (filters.creator) q.set('creator', filters.creator);
  if (page > 1) q.set('page', String(page));
  const qs = q.toString();
  return `${workspacePath(workspaceId)}/recordings${qs ? `?${qs}` : ''}`;
}

function expiryCell(recording: Recording, now: number) {
  if (recording.expiresAt === null) return <span class="muted">Never</span>;
  if (isExpired(recording, now)) return <span class="badge unverified">Expired</span>;
  return <Time ms={recording.expiresAt} dateOnly />;
}

export function RecordingsList(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  flash?: string | undefined;
  filters: ListFilters;
  page: number;
  total: number;
  items: Recording[];
  projects: Project[];
  links: Link[];
  members: Member[];
  now: number;
}) {
  const { ctx, ws, filters } = props;
  const id = ws.current.id;
  const filtered = Boolean(filters.project || filters.link || filters.creator);
  return (
    <WorkspacePage ctx={ctx} ws={ws} title="Recordings" section="recordings" flash={props.flash}>
      <h1>Recordings</h1>
      <p class="muted">
        <a href={deletedPath(id)}>Recently deleted</a>
      </p>
      <form
        method="get"
        action={`${workspacePath(id)}/recordings`}
        class="filters"
        aria-label="Filter recordings"
      >
        <div>
          <label for="filter-project">Project</label>
          <select id="filter-project" name="project">
            <option value="">All projects</option>
            {props.projects.map((p) => (
              <option value={p.id} selected={p.id === filters.project}>
                {p.title}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-link">Link</label>
          <select id="filter-link" name="link">
            <option value="">All links</option>
            {props.links.map((l) => (
              <option value={l.id} selected={l.id === filters.link}>
                {l.title ?? `Untitled link (${l.domain.host})`}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-creator">Creator</label>
          <select id="filter-creator" name="creator">
            <option value="">Anyone</option>
            {props.members.map((m) => (
              <option value={m.id} selected={m.id === filters.creator}>
                {m.name || m.email}
              </option>
            ))}
          </select>
        </div>
        <div class="filter-actions">
          <button type="submit" class="secondary">
            Filter
          </button>
          {filtered ? <a href={`${workspacePath(id)}/recordings`}>Clear filters</a> : null}
        </div>
      </form>

      {props.items.length === 0 ? (
        filtered ? (
          <div class="card empty">
            <h2>No recordings match these filters</h2>
            <p>
              <a href={`${workspacePath(id)}/recordings`}>Show all recordings</a>
            </p>
          </div>
        ) : (
          <div class="card empty">
            <h2>No recordings yet</h2>
            <p>
              Recordings arrive when a customer records their screen through one of your links. Create a link
              on the <a href={`${workspacePath(id)}/links`}>Links</a> page, send it to a customer (by chat,
              email or your helpdesk), and their recording shows up here, with the console, network and click
              logs of your site.
            </p>
            <p>
              <a class="button" href={`${workspacePath(id)}/links`}>
                Create a link
              </a>
            </p>
          </div>
        )
      ) : (
        <ListTable
          caption="Recordings, newest first"
          columns={['Recording', 'Creator', 'Duration', 'Created', 'Expires']}
          items={props.items}
          row={(r) => (
            <tr>
              <td data-label="Recording">
                <a href={recordingPath(id, r.id)}>{r.link.title ?? 'Untitled link'}</a>
                {r.status !== 'ready' ? (
                  <span class="badge unverified">{r.status === 'pending' ? 'Uploading' : 'Failed'}</span>
                ) : null}
                <div class="muted">
                  {r.project.title} · {r.domain.host}
                </div>
              </td>
              <td data-label="Creator">{r.creator.name}</td>
              <td data-label="Duration">{formatDuration(r.durationMs)}</td>
              <td data-label="Created">
                <Time ms={r.createdAt} />
              </td>
              <td data-label="Expires">{expiryCell(r, props.now)}</td>
            </tr>
          )}
        />
      )}
      <Pager
        page={props.page}
        perPage={PER_PAGE}
        total={props.total}
        hrefFor={(page) => listHref(id, filters, page)}
      />
    </WorkspacePage>
  );
}
