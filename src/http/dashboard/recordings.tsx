import { type Context, Hono } from 'hono';
import { ApiError } from '../../domain/errors.ts';
import { canDelete } from '../../domain/permissions.ts';
import type { ActionEntry, ConsoleEntry, NetworkEntry } from '../../domain/recording-resources.ts';
import type { Link, Member, Project, Recording } from '../../domain/types.ts';
import { DAY_MS } from '../../lib/clock.ts';
import type { Access } from '../../services/access.ts';
import { requireMember } from '../../services/access.ts';
import type { Deps } from '../../services/deps.ts';
import { listLinks } from '../../services/links.ts';
import { listMembers } from '../../services/members.ts';
import { listProjects } from '../../services/projects.ts';
import {
  deleteRecording,
  getDeletedRecording,
  getRecording,
  getRecordingResource,
  isExpired,
  type LogKind,
  listRecordings,
  MAX_EXPIRY_AHEAD_MS,
  type RecordingLog,
  readRecordingLog,
  setRecordingExpiry,
} from '../../services/recordings.ts';
import type { DashboardChains } from './chains.ts';
import {
  type DashboardContext,
  loadDashboardContext,
  notFoundPage,
  requireWorkspace,
  stopWith,
  type WorkspaceContext,
} from './context.ts';
import { deletedPath, RestoreForm, restoreRecordingPath } from './deleted.tsx';
import {
  CsrfField,
  DashboardPage,
  formatDuration,
  Pager,
  PLAYER_SCRIPT_PATH,
  pageParam,
  renderDashboard,
  Time,
} from './shell.tsx';

// Recordings (PRODUCT.md §6): the list with filters and paging, and the player page with the video,
// its console / network / action logs and the recording's details. Every log entry is a server-
// rendered button carrying data-ts (ms from the start), which /assets/player.js uses to follow the
// video and to seek it; without JavaScript the page still shows everything.

const PER_PAGE = 25;
// Filter menus list at most this many choices (newest first).
const FILTER_CHOICES = 100;
// A log panel renders at most this many entries; the MCP tools and the REST API page through more.
const MAX_RENDERED_ENTRIES = 2_000;
const ID_MAX = 64;

const FLASH: Record<string, string> = {
  'workspace-created': 'Workspace created. Create a link to start receiving recordings.',
  'recording-deleted': 'Recording deleted. You can restore it from Recently deleted.',
  'recording-restored': 'Recording restored.',
  'recording-restored-link-deleted':
    'Recording restored. Its link is still deleted: restore the link from Recently deleted for customers to record through it again.',
  'expiry-set': 'Expiry date saved.',
  'expiry-cleared': 'This recording no longer expires.',
};

function flashOf(c: Context): string | undefined {
  const key = c.req.query('flash');
  return key ? FLASH[key] : undefined;
}

function wsPath(workspaceId: string): string {
  return `/w/${encodeURIComponent(workspaceId)}`;
}

function recordingPath(workspaceId: string, recordingId: string): string {
  return `${wsPath(workspaceId)}/recordings/${encodeURIComponent(recordingId)}`;
}

function idParam(value: string | undefined): string | undefined {
  return value && value.length <= ID_MAX ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// The list

interface ListFilters {
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
  return `${wsPath(workspaceId)}/recordings${qs ? `?${qs}` : ''}`;
}

function expiryCell(recording: Recording, now: number) {
  if (recording.expiresAt === null) return <span class="muted">Never</span>;
  if (isExpired(recording, now)) return <span class="badge unverified">Expired</span>;
  return <Time ms={recording.expiresAt} dateOnly />;
}

function RecordingsList(props: {
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
    <DashboardPage
      title="Recordings"
      user={ctx.user}
      csrf={ctx.csrf}
      workspaces={ctx.workspaces}
      current={ws.current}
      section="recordings"
      flash={props.flash}
    >
      <h1>Recordings</h1>
      <p class="muted">
        <a href={deletedPath(id)}>Recently deleted</a>
      </p>
      <form method="get" action={`${wsPath(id)}/recordings`} class="filters" aria-label="Filter recordings">
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
          {filtered ? <a href={`${wsPath(id)}/recordings`}>Clear filters</a> : null}
        </div>
      </form>

      {props.items.length === 0 ? (
        filtered ? (
          <div class="card empty">
            <h2>No recordings match these filters</h2>
            <p>
              <a href={`${wsPath(id)}/recordings`}>Show all recordings</a>
            </p>
          </div>
        ) : (
          <div class="card empty">
            <h2>No recordings yet</h2>
            <p>
              Recordings arrive when a customer records their screen through one of your links. Create a link
              on the <a href={`${wsPath(id)}/links`}>Links</a> page, send it to a customer (by chat, email or
              your helpdesk), and their recording shows up here, with the console, network and click logs of
              your site.
            </p>
            <p>
              <a class="button" href={`${wsPath(id)}/links`}>
                Create a link
              </a>
            </p>
          </div>
        )
      ) : (
        <div class="table-wrap">
          <table class="list">
            <caption class="sr-only">Recordings, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Recording</th>
                <th scope="col">Creator</th>
                <th scope="col">Duration</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((r) => (
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
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        page={props.page}
        perPage={PER_PAGE}
        total={props.total}
        hrefFor={(page) => listHref(id, filters, page)}
      />
    </DashboardPage>
  );
}

// ---------------------------------------------------------------------------------------------
// The player

interface LogPanel<K extends LogKind> {
  captured: boolean;
  entries: RecordingLog<K>['entries'];
  invalid: number;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function seconds(ts: number): string {
  return formatDuration(Math.floor(ts / 1000) * 1000);
}

function EntryList(props: { label: string; count: number; children: unknown }) {
  return (
    <>
      {props.count > MAX_RENDERED_ENTRIES ? (
        <p class="muted">
          Showing the first {MAX_RENDERED_ENTRIES} of {props.count} entries; the REST API and the MCP tools
          page through all of them.
        </p>
      ) : null}
      <ol class="entries" data-entries="" aria-label={props.label}>
        {props.children}
      </ol>
    </>
  );
}

function NotCaptured(props: { what: string }) {
  return (
    <p class="muted">
      No {props.what} was captured for this recording. Logs are captured when the recorder runs on a page of
      your site that embeds the Userplane script.
    </p>
  );
}

function ConsolePanel(props: { log: LogPanel<'console-log'> }) {
  const { log } = props;
  if (!log.captured) return <NotCaptured what="console log" />;
  if (log.entries.length === 0) return <p class="muted">The console log is empty.</p>;
  const errors = log.entries.filter((e) => e.level === 'error').length;
  return (
    <>
      <p class="muted">
        {plural(log.entries.length, 'entry', 'entries')}
        {errors > 0 ? `, ${plural(errors, 'error', 'errors')}` : ''}
        {log.invalid > 0 ? ` (${log.invalid} unreadable entries left out)` : ''}
      </p>
      <EntryList label="Console entries" count={log.entries.length}>
        {log.entries.slice(0, MAX_RENDERED_ENTRIES).map((e: ConsoleEntry) => (
          <li>
            <button type="button" class={`entry level-${e.level}`} data-ts={String(e.ts)}>
              <span class="ts">{seconds(e.ts)}</span>
              <span class={`badge level level-${e.level}`}>{e.level === 'error' ? 'Error' : e.level}</span>
              <span class="msg">{e.message}</span>
            </button>
            {e.stack ? (
              <details class="stack">
                <summary>Stack trace</summary>
                <pre>{e.stack}</pre>
              </details>
            ) : null}
          </li>
        ))}
      </EntryList>
    </>
  );
}

function NetworkPanel(props: { log: LogPanel<'network-log'> }) {
  const { log } = props;
  if (!log.captured) return <NotCaptured what="network log" />;
  if (log.entries.length === 0) return <p class="muted">The network log is empty.</p>;
  return (
    <>
      {log.invalid > 0 ? <p class="muted">{log.invalid} unreadable entries left out.</p> : null}
      <EntryList label="Network requests" count={log.entries.length}>
        {log.entries.slice(0, MAX_RENDERED_ENTRIES).map((e: NetworkEntry) => {
          const failed = e.status === 0 || e.status >= 400;
          return (
            <li>
              <button type="button" class={failed ? 'entry failed' : 'entry'} data-ts={String(e.ts)}>
                <span class="ts">{seconds(e.ts)}</span>
                <span class={failed ? 'badge level level-error' : 'badge'}>{e.status || 'failed'}</span>
                <span class="msg">
                  {e.method} {e.url}
                </span>
                <span class="muted">{Math.round(e.durationMs)} ms</span>
              </button>
              {e.requestBody || e.responseBody || e.requestHeaders || e.responseHeaders ? (
                <details class="stack">
                  <summary>Details</summary>
                  {e.requestHeaders ? <pre>{JSON.stringify(e.requestHeaders, null, 2)}</pre> : null}
                  {e.requestBody ? <pre>{e.requestBody}</pre> : null}
                  {e.responseHeaders ? <pre>{JSON.stringify(e.responseHeaders, null, 2)}</pre> : null}
                  {e.responseBody ? <pre>{e.responseBody}</pre> : null}
                </details>
              ) : null}
            </li>
          );
        })}
      </EntryList>
    </>
  );
}

function describeAction(a: ActionEntry): string {
  if (a.type === 'navigation') return `Navigated to ${a.url ?? ''}`;
  if (a.type === 'input') return `Typed into ${a.selector ?? 'a field'}${a.value ? `: ${a.value}` : ''}`;
  return `Clicked ${a.selector ?? `at ${a.x}, ${a.y}`}`;
}

function ActionsPanel(props: { log: LogPanel<'action'> }) {
  const { log } = props;
  if (!log.captured) return <NotCaptured what="action log" />;
  if (log.entries.length === 0) return <p class="muted">The action log is empty.</p>;
  return (
    <EntryList label="Actions" count={log.entries.length}>
      {log.entries.slice(0, MAX_RENDERED_ENTRIES).map((a: ActionEntry) => (
        <li>
          <button type="button" class="entry" data-ts={String(a.ts)}>
            <span class="ts">{seconds(a.ts)}</span>
            <span class="badge">{a.type}</span>
            <span class="msg">{describeAction(a)}</span>
          </button>
        </li>
      ))}
    </EntryList>
  );
}

function MetaList(props: { meta: Record<string, unknown>; empty: string }) {
  const keys = Object.keys(props.meta);
  if (keys.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <dl class="facts meta">
      {keys.map((key) => {
        const value = props.meta[key];
        return (
          <>
            <dt>{key}</dt>
            <dd>{typeof value === 'string' ? value : <code>{JSON.stringify(value)}</code>}</dd>
          </>
        );
      })}
    </dl>
  );
}

function InfoPanel(props: { recording: Recording; workspaceId: string }) {
  const r = props.recording;
  return (
    <>
      <dl class="facts">
        <dt>Link</dt>
        <dd>
          <a href={`${wsPath(props.workspaceId)}/links/${encodeURIComponent(r.link.id)}/edit`}>
            {r.link.title ?? 'Untitled link'}
          </a>
        </dd>
        <dt>Project</dt>
        <dd>{r.project.title}</dd>
        <dt>Domain</dt>
        <dd>{r.domain.host}</dd>
        <dt>Creator</dt>
        <dd>{r.creator.name}</dd>
        <dt>Recorded</dt>
        <dd>
          <Time ms={r.startedAt ?? r.createdAt} />
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(r.durationMs)}</dd>
        <dt>Customer notes</dt>
        <dd class="notes">{r.notes ?? <span class="muted">The customer left no notes.</span>}</dd>
      </dl>
      <h3>System</h3>
      <MetaList meta={r.systemMeta} empty="No system details were captured." />
      <h3>Custom metadata</h3>
      <MetaList meta={r.customMeta} empty="No custom metadata." />
    </>
  );
}

interface PlayerData {
  recording: Recording;
  expired: boolean;
  video?: { src: string | null; type: string; message: string } | undefined;
  console?: LogPanel<'console-log'> | undefined;
  network?: LogPanel<'network-log'> | undefined;
  actions?: LogPanel<'action'> | undefined;
  canDelete: boolean;
  now: number;
  /** DELETED_RETENTION_DAYS: how long a deleted recording can be restored. */
  restoreDays: number;
}

function dateInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function ExpiryForm(props: {
  data: PlayerData;
  csrf: string;
  workspaceId: string;
  error?: string | undefined;
}) {
  const r = props.data.recording;
  const action = `${recordingPath(props.workspaceId, r.id)}/expiry`;
  const min = dateInput(props.data.now + DAY_MS);
  const max = dateInput(props.data.now + MAX_EXPIRY_AHEAD_MS);
  if (r.filesDeletedAt !== null) {
    return (
      <section class="card" aria-labelledby="expiry-heading">
        <h2 id="expiry-heading">Expiry</h2>
        <p>
          {r.expiresAt !== null ? (
            <>
              Expired on <Time ms={r.expiresAt} />.{' '}
            </>
          ) : null}
          Its video and logs were deleted on <Time ms={r.filesDeletedAt} />, so its expiry can no longer be
          changed.
        </p>
      </section>
    );
  }
  return (
    <section class="card" aria-labelledby="expiry-heading">
      <h2 id="expiry-heading">Expiry</h2>
      <p>
        {r.expiresAt === null ? (
          'This recording never expires.'
        ) : props.data.expired ? (
          <>
            Expired on <Time ms={r.expiresAt} />.
          </>
        ) : (
          <>
            Expires on <Time ms={r.expiresAt} />.
          </>
        )}
      </p>
      <form method="post" action={action} class="inline-form">
        <CsrfField csrf={props.csrf} />
        <label for="expires-on">New expiry date (UTC, at most one year ahead)</label>
        <input
          id="expires-on"
          type="date"
          name="expires_on"
          min={min}
          max={max}
          required
          value={r.expiresAt !== null && !props.data.expired ? dateInput(r.expiresAt) : ''}
          aria-describedby={props.error ? 'expiry-error' : undefined}
          aria-invalid={props.error ? 'true' : undefined}
        />
        {props.error ? (
          <p id="expiry-error" class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <button type="submit" class="secondary">
          Set expiry
        </button>
      </form>
      {r.expiresAt !== null ? (
        <form method="post" action={action}>
          <CsrfField csrf={props.csrf} />
          <input type="hidden" name="clear" value="1" />
          <button type="submit" class="link">
            Never expire
          </button>
        </form>
      ) : null}
    </section>
  );
}

function DeleteForm(props: { action: string; csrf: string }) {
  return (
    <form method="post" action={props.action}>
      <CsrfField csrf={props.csrf} />
      <button type="submit" class="danger">
        Delete recording
      </button>
    </form>
  );
}

function PlayerPage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  data: PlayerData;
  flash?: string | undefined;
  expiryError?: string | undefined;
}) {
  const { ctx, ws, data } = props;
  const r = data.recording;
  const id = ws.current.id;
  const title = r.link.title ?? 'Untitled link';
  const base = recordingPath(id, r.id);
  const tabs = data.expired
    ? [{ key: 'info', label: 'Info' }]
    : [
        { key: 'console', label: 'Console' },
        { key: 'network', label: 'Network' },
        { key: 'actions', label: 'Actions' },
        { key: 'info', label: 'Info' },
      ];
  return (
    <DashboardPage
      title={title}
      user={ctx.user}
      csrf={ctx.csrf}
      workspaces={ctx.workspaces}
      current={ws.current}
      section="recordings"
      flash={props.flash}
      scripts={data.expired ? [] : [PLAYER_SCRIPT_PATH]}
    >
      <p class="muted">
        <a href={`${wsPath(id)}/recordings`}>← All recordings</a>
      </p>
      <h1>{title}</h1>
      <p class="muted">
        {r.creator.name} · <Time ms={r.createdAt} /> · {formatDuration(r.durationMs)}
      </p>
      <div class="player">
        <div class="stage">
          {data.expired ? (
            <div class="warning expired" role="status">
              <strong>This recording has expired.</strong>{' '}
              {r.filesDeletedAt !== null
                ? 'Its video and logs have been deleted; its details are kept below.'
                : 'Its video and logs are no longer available and will be deleted shortly; its details are kept below. Set a new expiry date to keep them, or delete the recording.'}
            </div>
          ) : data.video?.src ? (
            <video data-player="" controls preload="metadata" src={data.video.src}>
              <track kind="captions" />
              Your browser cannot play this video ({data.video.type}).
            </video>
          ) : (
            <div class="warning" role="status">
              {data.video?.message ?? 'The video is not available.'}
            </div>
          )}
        </div>
        <div class="panels">
          <div role="tablist" aria-label="Recording details" class="tabs">
            {tabs.map((t) => (
              <a role="tab" id={`tab-${t.key}`} href={`#panel-${t.key}`} aria-controls={`panel-${t.key}`}>
                {t.label}
              </a>
            ))}
          </div>
          {data.expired ? null : (
            <>
              <section role="tabpanel" id="panel-console" aria-labelledby="tab-console" class="panel">
                <h2 class="panel-title">Console</h2>
                {data.console ? <ConsolePanel log={data.console} /> : null}
              </section>
              <section role="tabpanel" id="panel-network" aria-labelledby="tab-network" class="panel">
                <h2 class="panel-title">Network</h2>
                {data.network ? <NetworkPanel log={data.network} /> : null}
              </section>
              <section role="tabpanel" id="panel-actions" aria-labelledby="tab-actions" class="panel">
                <h2 class="panel-title">Actions</h2>
                {data.actions ? <ActionsPanel log={data.actions} /> : null}
              </section>
            </>
          )}
          <section role="tabpanel" id="panel-info" aria-labelledby="tab-info" class="panel">
            <h2 class="panel-title">Info</h2>
            <InfoPanel recording={r} workspaceId={id} />
          </section>
        </div>
      </div>
      <div class="grid-2">
        <ExpiryForm data={data} csrf={ctx.csrf} workspaceId={id} error={props.expiryError} />
        {data.canDelete ? (
          <section class="card" aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete</h2>
            <p>
              Deleting removes the recording for everyone in the workspace. It can be restored from Recently
              deleted for {data.restoreDays} days; after that its video and logs are removed for good.
            </p>
            <a class="button danger" href={`${base}/delete`} data-confirm="delete-dialog">
              Delete recording…
            </a>
            <dialog id="delete-dialog" aria-labelledby="delete-dialog-title">
              <h2 id="delete-dialog-title">Delete this recording?</h2>
              <p>
                “{title}” is removed for everyone. It can be restored for {data.restoreDays} days; after that
                its video and logs are removed for good.
              </p>
              <div class="actions">
                <button type="button" class="secondary" data-close="" autofocus>
                  Cancel
                </button>
                <DeleteForm action={`${base}/delete`} csrf={ctx.csrf} />
              </div>
            </dialog>
          </section>
        ) : null}
      </div>
    </DashboardPage>
  );
}

function GonePage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  deleted?: { recording: Recording; restorableUntil: number | null; canRestore: boolean } | undefined;
}) {
  const { ctx, ws, deleted } = props;
  return (
    <DashboardPage
      title="Recording deleted"
      user={ctx.user}
      csrf={ctx.csrf}
      workspaces={ctx.workspaces}
      current={ws.current}
      section="recordings"
    >
      <div class="card">
        <h1>This recording has been deleted</h1>
        {deleted && deleted.restorableUntil !== null ? (
          <>
            <p>
              It can be restored until <Time ms={deleted.restorableUntil} />; after that its video and logs
              are removed for good.{' '}
              {deleted.canRestore
                ? null
                : 'Admins, owners and the creator of its link can restore it from Recently deleted.'}
            </p>
            {deleted.canRestore ? (
              <RestoreForm
                action={restoreRecordingPath(ws.current.id, deleted.recording.id)}
                csrf={ctx.csrf}
                label="Restore this recording"
              />
            ) : null}
          </>
        ) : (
          <p>It can no longer be restored.</p>
        )}
        <p>
          <a href={deletedPath(ws.current.id)}>Recently deleted</a>
        </p>
        <p>
          <a href={`${wsPath(ws.current.id)}/recordings`}>Back to the recordings</a>
        </p>
      </div>
    </DashboardPage>
  );
}

function ConfirmDeletePage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  recording: Recording;
  restoreDays: number;
}) {
  const { ctx, ws, recording } = props;
  const base = recordingPath(ws.current.id, recording.id);
  return (
    <DashboardPage
      title="Delete recording"
      user={ctx.user}
      csrf={ctx.csrf}
      workspaces={ctx.workspaces}
      current={ws.current}
      section="recordings"
    >
      <div class="card narrow">
        <h1>Delete this recording?</h1>
        <p>
          The video and logs of “{recording.link.title ?? 'Untitled link'}” (<Time ms={recording.createdAt} />
          ) is removed for everyone in the workspace. It can be restored from Recently deleted for{' '}
          {props.restoreDays} days; after that its video and logs are removed for good.
        </p>
        <div class="actions">
          <a href={base}>Cancel</a>
          <DeleteForm action={`${base}/delete`} csrf={ctx.csrf} />
        </div>
      </div>
    </DashboardPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Routes

async function logPanel<K extends LogKind>(
  deps: Deps,
  access: Access,
  recordingId: string,
  kind: K,
): Promise<LogPanel<K>> {
  const log = await readRecordingLog(deps, access, recordingId, kind);
  return { captured: log.captured, entries: log.entries, invalid: log.invalidEntries };
}

/**
 * A same-origin path for our signed file URL, so the CSP's media-src 'self' covers it; a presigned
 * URL of the bucket (STORAGE=s3) stays whole (the CSP lists the bucket's origin).
 */
function sameOriginPath(url: string, publicUrl: string): string {
  const parsed = new URL(url);
  if (parsed.origin !== new URL(publicUrl).origin) return url;
  return `${parsed.pathname}${parsed.search}`;
}

async function playerData(deps: Deps, access: Access, recording: Recording): Promise<PlayerData> {
  const now = deps.clock.now();
  const expired = isExpired(recording, now);
  const actor = { role: access.member.role, memberId: access.member.id };
  const data: PlayerData = {
    recording,
    expired,
    canDelete: canDelete(actor, 'recording.delete', recording.creator.memberId),
    now,
    restoreDays: deps.config.deletedRetentionDays,
  };
  if (expired) return data;
  try {
    const [video, consoleLog, network, actions] = await Promise.all([
      getRecordingResource(deps, access, recording.id, 'video'),
      logPanel(deps, access, recording.id, 'console-log'),
      logPanel(deps, access, recording.id, 'network-log'),
      logPanel(deps, access, recording.id, 'action'),
    ]);
    data.video = {
      src: video.url ? sameOriginPath(video.url, deps.config.publicUrl) : null,
      type: video.type,
      message: video.message,
    };
    data.console = consoleLog;
    data.network = network;
    data.actions = actions;
  } catch (error) {
    // It expired between the two reads: show it as expired.
    if (error instanceof ApiError && error.code === 'RECORDING_EXPIRED') return { ...data, expired: true };
    throw error;
  }
  return data;
}

/**
 * The recording for a page, or the page that ends the request: deleted → 410 page, another of the
 * caller's workspaces → redirect there, anything else unknown → the not-found page (S39).
 */
async function loadRecording(
  c: Context,
  deps: Deps,
  ctx: DashboardContext,
  ws: WorkspaceContext,
  recordingId: string,
): Promise<Recording> {
  try {
    return await getRecording(deps, ws.access, recordingId);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === 'RECORDING_GONE') {
      const deleted = await getDeletedRecording(deps, ws.access, recordingId);
      stopWith(renderDashboard(c, <GonePage ctx={ctx} ws={ws} deleted={deleted} />, 410));
    }
    if (error.code === 'RECORDING_WORKSPACE_MISMATCH') {
      const home = await findRecordingWorkspace(deps, ctx, recordingId);
      if (home) stopWith(c.redirect(recordingPath(home, recordingId), 302));
    }
    stopWith(notFoundPage(c));
  }
}

/** Which of the caller's workspaces holds the recording (deleted or not), if any. */
async function findRecordingWorkspace(
  deps: Deps,
  ctx: DashboardContext,
  recordingId: string,
): Promise<string | undefined> {
  if (recordingId.length > ID_MAX) return undefined;
  for (const ws of ctx.workspaces) {
    const access = await requireMember(deps, ctx.user.id, ws.id);
    try {
      await getRecording(deps, access, recordingId);
      return ws.id;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'RECORDING_GONE') return ws.id;
      if (error instanceof ApiError) continue;
      throw error;
    }
  }
  return undefined;
}

/** Parses the expiry form: a YYYY-MM-DD date (end of that day, UTC) or `clear`. */
function parseExpiry(form: Record<string, unknown>, now: number): number | null | { error: string } {
  if (form.clear === '1') return null;
  const value = typeof form.expires_on === 'string' ? form.expires_on : '';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    return { error: 'Choose a date.' };
  }
  const endOfDay = ms + DAY_MS - 1;
  // The last day allowed counts as allowed: its end is clamped to exactly one year from now.
  const limit = now + MAX_EXPIRY_AHEAD_MS;
  if (value === dateInput(limit)) return Math.min(endOfDay, limit);
  return endOfDay;
}

/** The Recordings list and the player; mount at '/'. */
export function createRecordingsPages(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  app.get('/w/:ws/recordings', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const filters: ListFilters = {
      project: idParam(c.req.query('project')),
      link: idParam(c.req.query('link')),
      creator: idParam(c.req.query('creator')),
    };
    const page = pageParam(c.req.query('page'));
    const choices = { page: 1, perPage: FILTER_CHOICES };
    const [list, projects, links, members] = await Promise.all([
      listRecordings(deps, ws.access, {
        page,
        perPage: PER_PAGE,
        projectId: filters.project,
        linkId: filters.link,
        createdBy: filters.creator,
      }),
      listProjects(deps, ws.access, choices),
      listLinks(deps, ws.access, choices),
      listMembers(deps, ws.access, choices),
    ]);
    return renderDashboard(
      c,
      <RecordingsList
        ctx={ctx}
        ws={ws}
        flash={flashOf(c)}
        filters={filters}
        page={page}
        total={list.total}
        items={list.items}
        projects={projects.items}
        links={links.items}
        members={members.items}
        now={deps.clock.now()}
      />,
    );
  });

  app.get('/w/:ws/recordings/:id', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const recording = await loadRecording(c, deps, ctx, ws, c.req.param('id'));
    const data = await playerData(deps, ws.access, recording);
    return renderDashboard(c, <PlayerPage ctx={ctx} ws={ws} data={data} flash={flashOf(c)} />);
  });

  app.post('/w/:ws/recordings/:id/expiry', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const recording = await loadRecording(c, deps, ctx, ws, c.req.param('id'));
    const form = await c.req.parseBody();
    const now = deps.clock.now();
    const parsed = parseExpiry(form, now);
    let error: string | undefined;
    if (parsed !== null && typeof parsed === 'object') {
      error = parsed.error;
    } else {
      try {
        await setRecordingExpiry(deps, ws.access, recording.id, parsed);
        const flash = parsed === null ? 'expiry-cleared' : 'expiry-set';
        return c.redirect(`${recordingPath(ws.current.id, recording.id)}?flash=${flash}`, 303);
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.code !== 'VALIDATION_FAILED') throw failure;
        error = /future/.test(failure.message)
          ? 'Choose a date after today.'
          : 'Choose a date at most one year from today.';
      }
    }
    const data = await playerData(deps, ws.access, recording);
    return renderDashboard(c, <PlayerPage ctx={ctx} ws={ws} data={data} expiryError={error} />, 400);
  });

  app.get('/w/:ws/recordings/:id/delete', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const recording = await loadRecording(c, deps, ctx, ws, c.req.param('id'));
    const actor = { role: ws.access.member.role, memberId: ws.access.member.id };
    if (!canDelete(actor, 'recording.delete', recording.creator.memberId)) {
      return c.redirect(recordingPath(ws.current.id, recording.id), 303);
    }
    return renderDashboard(
      c,
      <ConfirmDeletePage
        ctx={ctx}
        ws={ws}
        recording={recording}
        restoreDays={deps.config.deletedRetentionDays}
      />,
    );
  });

  app.post('/w/:ws/recordings/:id/delete', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    const recording = await loadRecording(c, deps, ctx, ws, c.req.param('id'));
    // The service refuses anyone but admins, owners and the link's creator (403 page).
    await deleteRecording(deps, ws.access, recording.id);
    return c.redirect(`${wsPath(ws.current.id)}/recordings?flash=recording-deleted`, 303);
  });

  // The player URL the REST API and MCP hand out: find the caller's workspace that holds it.
  app.get('/recordings/:id', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const id = c.req.param('id');
    const home = await findRecordingWorkspace(deps, ctx, id);
    if (!home) return notFoundPage(c);
    return c.redirect(recordingPath(home, id), 302);
  });

  return app;
}
