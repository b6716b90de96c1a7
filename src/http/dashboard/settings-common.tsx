import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { ApiError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { friendly } from '../views/text.ts';
import {
  type DashboardContext,
  loadDashboardContext,
  requireWorkspace,
  type WorkspaceContext,
} from './context.ts';
import { WorkspacePage } from './kit.tsx';
import { DashboardPage, renderDashboard } from './shell.tsx';

// Pieces shared by the settings, team, audit, account and connections pages (their middleware
// chains are chains.ts's `settings` preset): form fields, the flash messages after a redirect, and the sub-navigation tabs.

/** A form field as a string of at most `max` characters ('' when missing). */
export async function formFields(c: Context): Promise<(name: string, max?: number) => string> {
  const form = await c.req.parseBody();
  return (name, max = 300) => {
    const value = form[name];
    return typeof value === 'string' ? value.slice(0, max) : '';
  };
}

/**
 * Runs an action; a refusal a person can correct (400 validation, 409 conflict, 422 failed
 * verification, 403 plan limit) comes back as `{ error, status }` for the page to show beside its
 * form. Anything else (403 role refusals, 404, 410) propagates to the dashboard error handler.
 */
export async function attempt<T>(
  action: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string; status: 400 | 403 | 409 | 422 }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.status === 400 || error.status === 409 || error.status === 422)
        return { ok: false, error: friendly(error.message), status: error.status };
      if (error.code === 'PLAN_LIMIT_EXCEEDED' || error.code === 'API_KEY_LIMIT_REACHED')
        return { ok: false, error: error.message, status: 403 };
    }
    throw error;
  }
}

// The dashboard's forms word their errors as every page does (views/text.ts).

/** Redirects after a successful POST with a flash code the next page turns into a message. */
export function redirectWithFlash(c: Context, path: string, flash: string): Response {
  const sep = path.includes('?') ? '&' : '?';
  return c.redirect(`${path}${sep}done=${encodeURIComponent(flash)}`, 303);
}

/**
 * The message for the `done` query parameter. Only fixed messages of the page are shown, so a
 * crafted link cannot put words of its own on our page.
 */
export function flashFrom(c: Context, messages: Record<string, string>): string | undefined {
  const code = c.req.query('done');
  return code && Object.hasOwn(messages, code) ? messages[code] : undefined;
}

/** A row of tabs under a page title (Workspace Settings, Account Settings). */
export function SubNav(props: {
  label: string;
  items: Array<{ href: string; text: string; active: boolean }>;
}) {
  return (
    <nav class="tabs" aria-label={props.label}>
      {props.items.map((item) => (
        <a href={item.href} aria-current={item.active ? 'page' : undefined}>
          {item.text}
        </a>
      ))}
    </nav>
  );
}

/** An inline error beside a form, announced to screen readers. */
export function FormError(props: { error?: string | undefined }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error}
    </p>
  );
}

/**
 * A secret shown once (an API key, an invitation link): a readonly input that works without
 * JavaScript, and a copy button that dashboard.js reveals and wires up.
 */
export function OneTimeSecret(props: { id: string; label: string; value: string; note: Child }) {
  return (
    <section class="card one-time" aria-labelledby={`${props.id}-label`}>
      <label id={`${props.id}-label`} for={props.id}>
        {props.label}
      </label>
      <div class="copy">
        <input id={props.id} type="text" readonly value={props.value} spellcheck={false} autocomplete="off" />
        <button type="button" class="secondary" data-copy={props.value} hidden>
          Copy
        </button>
      </div>
      <p class="muted">{props.note}</p>
    </section>
  );
}

// Workspace Settings frame, shared by settings.tsx, team.tsx and audit.tsx.

export type SettingsTab =
  | 'general'
  | 'projects'
  | 'domains'
  | 'team'
  | 'webhooks'
  | 'integrations'
  | 'deliveries';

/** The path of a workspace settings page. */
export function settingsPath(workspaceId: string, tab: SettingsTab = 'general'): string {
  const base = `/w/${encodeURIComponent(workspaceId)}/settings`;
  return tab === 'general' ? base : `${base}/${tab}`;
}

/** The tabs of Workspace Settings. */
export function SettingsTabs(props: { workspaceId: string; active: SettingsTab }) {
  const tabs: Array<[SettingsTab, string]> = [
    ['general', 'General'],
    ['projects', 'Projects'],
    ['domains', 'Domains'],
    ['team', 'Team'],
    ['webhooks', 'Webhooks'],
    ['integrations', 'Integrations'],
    ['deliveries', 'Deliveries'],
  ];
  return (
    <SubNav
      label="Workspace Settings"
      items={tabs.map(([tab, text]) => ({
        href: settingsPath(props.workspaceId, tab),
        text,
        active: tab === props.active,
      }))}
    />
  );
}

/** Everything a settings page renders around its content. */
export interface SettingsFrame {
  ctx: DashboardContext;
  ws: WorkspaceContext;
}

/** The signed-in user's context and their membership of the workspace in the path. */
export async function loadSettings(c: Context, deps: Deps): Promise<SettingsFrame> {
  const ctx = await loadDashboardContext(c, deps);
  const ws = await requireWorkspace(c, deps, c.req.param('ws') ?? '');
  return { ctx, ws };
}

/** A Workspace Settings page in the dashboard shell. */
export function SettingsPage(props: {
  frame: SettingsFrame;
  title: string;
  tab: SettingsTab;
  flash?: string | undefined;
  children?: Child;
}) {
  const { ctx, ws } = props.frame;
  return (
    <WorkspacePage ctx={ctx} ws={ws} title={props.title} section="settings" flash={props.flash}>
      <h1>Workspace Settings</h1>
      <SettingsTabs workspaceId={ws.current.id} active={props.tab} />
      {props.children}
    </WorkspacePage>
  );
}

/** The statuses a settings page answers with: 200, or a refusal shown beside its form. */
export type SettingsStatus = 200 | 400 | 403 | 409 | 422;

/**
 * Answers with one Workspace Settings tab: the frame, the flash message named by `?done=` (from
 * `page.flashes`), and `body`.
 */
export function renderSettings(
  c: Context,
  frame: SettingsFrame,
  page: { title: string; tab: SettingsTab; flashes?: Record<string, string> },
  body: Child,
  status: SettingsStatus = 200,
): Response {
  const flash = page.flashes ? flashFrom(c, page.flashes) : undefined;
  return renderDashboard(
    c,
    <SettingsPage frame={frame} title={page.title} tab={page.tab} flash={flash}>
      {body}
    </SettingsPage>,
    status,
  );
}

// Account Settings frame, shared by account.tsx and connections.tsx.

export type AccountTab = 'profile' | 'notifications' | 'developers' | 'connections';

/** An Account Settings page in the dashboard shell, with its tabs. */
export function AccountPage(props: {
  ctx: DashboardContext;
  title: string;
  tab: AccountTab;
  flash?: string | undefined;
  children?: Child;
}) {
  const { ctx } = props;
  const tabs: Array<[AccountTab, string, string]> = [
    ['profile', 'Profile', '/account'],
    ['notifications', 'Notifications', '/account/notifications'],
    ['developers', 'Developers', '/account/developers'],
    ['connections', 'Connections', '/account/connections'],
  ];
  return (
    <DashboardPage
      title={props.title}
      user={ctx.user}
      csrf={ctx.csrf}
      workspaces={ctx.workspaces}
      recent={ctx.recent}
      section="account"
      flash={props.flash}
    >
      <h1>Account Settings</h1>
      <SubNav
        label="Account Settings"
        items={tabs.map(([tab, text, href]) => ({ href, text, active: tab === props.tab }))}
      />
      {props.children}
    </DashboardPage>
  );
}
