import { type Context, Hono } from 'hono';
import { can } from '../../domain/permissions.ts';
import type { Deps } from '../../services/deps.ts';
import {
  deleteWorkspace,
  getWorkspaceStorage,
  renameWorkspace,
  type WorkspaceStorage,
} from '../../services/workspace-admin.ts';
import type { DashboardChains } from './chains.ts';
import { PostForm } from './kit.tsx';
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

// Workspace Settings > General (PRODUCT.md §6): the name (owners and admins rename it), the
// workspace's facts and storage, and deleting it (owner only, confirmed by typing the name).

const GENERAL_FLASH = { renamed: 'Workspace renamed' };

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
          <PostForm action={`${settingsPath(id)}/delete`} csrf={ctx.csrf} button="Delete workspace">
            <label for="delete-confirm">Type the workspace name, {ws.current.name}, to confirm</label>
            <input id="delete-confirm" type="text" name="confirm" required autocomplete="off" />
            <FormError error={props.deleteError} />
          </PostForm>
        </section>
      ) : null}
    </>
  );
}

/** General: GET /w/:ws/settings, rename and delete; mount at '/'. */
export function createGeneralRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  // General.
  const general = async (
    c: Context,
    frame: SettingsFrame,
    extra: { error?: string; deleteError?: string; name?: string } = {},
    status: SettingsStatus = 200,
  ) => {
    const storage = await getWorkspaceStorage(deps, frame.ws.access);
    return renderSettings(
      c,
      frame,
      { title: 'Workspace Settings', tab: 'general', flashes: GENERAL_FLASH },
      <GeneralBody frame={frame} storage={storage} {...extra} />,
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

  return app;
}
