import { type Context, Hono } from 'hono';
import { ApiError } from '../../domain/errors.ts';
import { canDelete } from '../../domain/permissions.ts';
import type { Recording } from '../../domain/types.ts';
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
import { workspacePath } from './kit.tsx';
import {
  ConfirmDeleteRecordingPage,
  dateInput,
  GonePage,
  type LogPanel,
  type PlayerData,
  PlayerPage,
  recordingPath,
} from './player.tsx';
import { type ListFilters, PER_PAGE, RecordingsList } from './recordings-list.tsx';
import { pageParam, renderDashboard } from './shell.tsx';

// Recordings (PRODUCT.md §6): the routes of the list (recordings-list.tsx) and of the player
// (player.tsx), and what they load: the recording or the page that ends the request, its video and
// logs, the expiry form's date.

// Filter menus list at most this many choices (newest first).
const FILTER_CHOICES = 100;
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

function idParam(value: string | undefined): string | undefined {
  return value && value.length <= ID_MAX ? value : undefined;
}

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
      <ConfirmDeleteRecordingPage
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
    return c.redirect(`${workspacePath(ws.current.id)}/recordings?flash=recording-deleted`, 303);
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
