import type { ActionEntry, ConsoleEntry, NetworkEntry } from '../../domain/recording-resources.ts';
import type { Recording } from '../../domain/types.ts';
import { DAY_MS } from '../../lib/clock.ts';
import { type LogKind, MAX_EXPIRY_AHEAD_MS, type RecordingLog } from '../../services/recordings.ts';
import type { DashboardContext, WorkspaceContext } from './context.ts';
import { deletedPath, RestoreForm, restoreRecordingPath } from './deleted.tsx';
import { ConfirmDelete, ConfirmDeletePage, WorkspacePage, workspacePath } from './kit.tsx';
import { CsrfField, formatDuration, PLAYER_SCRIPT_PATH, Time } from './shell.tsx';

// The player page (PRODUCT.md §6): the video, its console / network / action logs and the
// recording's details, the expiry form and delete; and the pages of a deleted recording and of the
// delete confirmation. Every log entry is a server-rendered button carrying data-ts (ms from the
// start), which /assets/player.js uses to follow the video and to seek it; without JavaScript the
// page still shows everything. The routes that load what it shows are in recordings.tsx.

// A log panel renders at most this many entries; the MCP tools and the REST API page through more.
const MAX_RENDERED_ENTRIES = 2_000;

/** The player page of a recording. */
export function recordingPath(workspaceId: string, recordingId: string): string {
  return `${workspacePath(workspaceId)}/recordings/${encodeURIComponent(recordingId)}`;
}

export interface LogPanel<K extends LogKind> {
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
          <a href={`${workspacePath(props.workspaceId)}/links/${encodeURIComponent(r.link.id)}/edit`}>
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

export interface PlayerData {
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

export function dateInput(ms: number): string {
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

export function PlayerPage(props: {
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
    <WorkspacePage
      ctx={ctx}
      ws={ws}
      title={title}
      section="recordings"
      flash={props.flash}
      scripts={data.expired ? [] : [PLAYER_SCRIPT_PATH]}
    >
      <p class="muted">
        <a href={`${workspacePath(id)}/recordings`}>← All recordings</a>
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
            <ConfirmDelete
              dialog="delete-dialog"
              heading="Delete this recording?"
              action={`${base}/delete`}
              csrf={ctx.csrf}
              button="Delete recording"
            >
              “{title}” is removed for everyone. It can be restored for {data.restoreDays} days; after that
              its video and logs are removed for good.
            </ConfirmDelete>
          </section>
        ) : null}
      </div>
    </WorkspacePage>
  );
}

export function GonePage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  deleted?: { recording: Recording; restorableUntil: number | null; canRestore: boolean } | undefined;
}) {
  const { ctx, ws, deleted } = props;
  return (
    <WorkspacePage ctx={ctx} ws={ws} title="Recording deleted" section="recordings">
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
          <a href={`${workspacePath(ws.current.id)}/recordings`}>Back to the recordings</a>
        </p>
      </div>
    </WorkspacePage>
  );
}

/** The page that asks before deleting a recording (without JavaScript, instead of the dialog). */
export function ConfirmDeleteRecordingPage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  recording: Recording;
  restoreDays: number;
}) {
  const { recording } = props;
  const base = recordingPath(props.ws.current.id, recording.id);
  return (
    <ConfirmDeletePage
      ctx={props.ctx}
      ws={props.ws}
      title="Delete recording"
      section="recordings"
      heading="Delete this recording?"
      action={`${base}/delete`}
      button="Delete recording"
      cancel={base}
    >
      The video and logs of “{recording.link.title ?? 'Untitled link'}” (<Time ms={recording.createdAt} />) is
      removed for everyone in the workspace. It can be restored from Recently deleted for {props.restoreDays}{' '}
      days; after that its video and logs are removed for good.
    </ConfirmDeletePage>
  );
}
