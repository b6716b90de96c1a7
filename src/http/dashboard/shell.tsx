import type { Context, MiddlewareHandler } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Role } from '../../domain/permissions.ts';
import { ICON_PATH, STYLESHEET_PATH } from '../views/layout.tsx';

// The dashboard's page shell (PRODUCT.md §6): a header with a workspace switcher and an account
// menu, the section navigation, an optional flash message, and the page's content. Everything works
// without JavaScript; /assets/dashboard.js only adds conveniences (auto-submitting the switcher,
// copy buttons, confirmation dialogs). Every value reaches the HTML through hono/jsx, which escapes it.

export const DASHBOARD_SCRIPT_PATH = '/assets/dashboard.js';
export const PLAYER_SCRIPT_PATH = '/assets/player.js';

export type DashboardSection = 'recordings' | 'links' | 'settings' | 'audit' | 'account';

export interface ShellWorkspace {
  id: string;
  name: string;
  role: Role;
}

export interface DashboardPageProps {
  title: string;
  user: { name: string; email: string };
  csrf: string;
  workspaces: ShellWorkspace[];
  /** The workspace the page belongs to; account pages have none. */
  current?: ShellWorkspace | undefined;
  /** Outside a workspace (Account Settings): the last opened one, for the navigation. */
  recent?: ShellWorkspace | undefined;
  section?: DashboardSection | undefined;
  /** A one-line message after an action ("Link created"). */
  flash?: string | undefined;
  /** Extra same-origin scripts for this page (e.g. the player's). */
  scripts?: string[] | undefined;
  children?: Child;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Origins besides ours that dashboard pages load recording media from (an S3 bucket). */
    mediaOrigins: readonly string[] | undefined;
  }
}

/**
 * The Content-Security-Policy of dashboard pages: our own scripts and media only (S27), plus, with
 * STORAGE=s3, the bucket's origin for media and images (videos play from presigned URLs).
 */
export function dashboardContentSecurityPolicy(mediaOrigins: readonly string[] = []): string {
  const media = mediaOrigins.map((origin) => ` ${origin}`).join('');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${media}`,
    `media-src 'self'${media}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    // Every dashboard form posts to a fixed path of ours and redirects within our origin.
    "form-action 'self'",
  ].join('; ');
}

function applyHeaders(headers: Headers, mediaOrigins: readonly string[] = []): void {
  headers.set('Content-Security-Policy', dashboardContentSecurityPolicy(mediaOrigins));
  headers.set('X-Frame-Options', 'DENY');
  headers.set('Referrer-Policy', 'no-referrer');
  headers.set('X-Content-Type-Options', 'nosniff');
}

/**
 * S27 headers for dashboard routes, like pageSecurityHeaders but allowing our own same-origin
 * scripts (`/assets/*.js`) and media (signed `/files/…` URLs, or presigned URLs of the bucket at
 * `mediaOrigin`). HTML responses get `Cache-Control: no-store` unless the handler chose otherwise.
 */
export function dashboardHeaders(mediaOrigin: string | null = null): MiddlewareHandler {
  const origins = mediaOrigin ? [mediaOrigin] : [];
  return async (c, next) => {
    c.set('mediaOrigins', origins);
    await next();
    applyHeaders(c.res.headers, origins);
    const type = c.res.headers.get('content-type') ?? '';
    if (type.startsWith('text/html')) c.res.headers.set('Cache-Control', 'no-store');
  };
}

/** Sends a rendered dashboard page with the dashboard headers and `Cache-Control: no-store`. */
export function renderDashboard(c: Context, element: unknown, status: ContentfulStatusCode = 200): Response {
  const res = c.html(`<!DOCTYPE html>${String(element)}`, status);
  applyHeaders(res.headers, c.get('mediaOrigins'));
  res.headers.set('Cache-Control', 'no-store');
  return res;
}

function NavLink(props: { href: string; active: boolean; children: Child }) {
  return (
    <li>
      <a href={props.href} aria-current={props.active ? 'page' : undefined}>
        {props.children}
      </a>
    </li>
  );
}

function WorkspaceSwitcher(props: { workspaces: ShellWorkspace[]; current?: ShellWorkspace | undefined }) {
  if (props.workspaces.length === 0) return null;
  return (
    <form method="get" action="/w/switch" class="switcher" data-autosubmit="">
      <label for="workspace-switcher" class="sr-only">
        Workspace
      </label>
      <select id="workspace-switcher" name="ws">
        {props.current ? null : <option value="">Choose a workspace</option>}
        {props.workspaces.map((ws) => (
          <option value={ws.id} selected={ws.id === props.current?.id}>
            {ws.name}
          </option>
        ))}
      </select>
      <button type="submit" class="secondary small" data-hide-with-js="">
        Switch
      </button>
    </form>
  );
}

function AccountMenu(props: { user: { name: string; email: string }; csrf: string }) {
  return (
    <details class="menu account-menu">
      <summary>
        <span class="sr-only">Account menu for </span>
        {props.user.name || props.user.email}
      </summary>
      <div class="menu-body">
        <p class="muted">{props.user.email}</p>
        <ul>
          <li>
            <a href="/account">Account Settings</a>
          </li>
          <li>
            <form method="post" action="/signout">
              <input type="hidden" name="csrf" value={props.csrf} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          </li>
        </ul>
      </div>
    </details>
  );
}

/** The HTML document of a dashboard page. */
export function DashboardPage(props: DashboardPageProps) {
  const { current, section } = props;
  const navWorkspace = current ?? props.recent;
  const ws = navWorkspace ? `/w/${encodeURIComponent(navWorkspace.id)}` : undefined;
  const scripts = [DASHBOARD_SCRIPT_PATH, ...(props.scripts ?? [])];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>
          {current ? `${props.title} · ${current.name} · Userplane` : `${props.title} · Userplane`}
        </title>
        <link rel="icon" type="image/svg+xml" href={ICON_PATH} />
        <link rel="stylesheet" href={STYLESHEET_PATH} />
        {scripts.map((src) => (
          <script src={src} defer></script>
        ))}
      </head>
      <body class="dashboard">
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header class="site dash-header">
          <a class="brand" href="/">
            Userplane
          </a>
          <WorkspaceSwitcher workspaces={props.workspaces} current={navWorkspace} />
          <AccountMenu user={props.user} csrf={props.csrf} />
        </header>
        <nav class="dash-nav" aria-label="Dashboard">
          <ul>
            {ws ? (
              <>
                <NavLink href={`${ws}/recordings`} active={section === 'recordings'}>
                  Recordings
                </NavLink>
                <NavLink href={`${ws}/links`} active={section === 'links'}>
                  Links
                </NavLink>
                <NavLink href={`${ws}/settings`} active={section === 'settings'}>
                  Workspace Settings
                </NavLink>
                {navWorkspace && navWorkspace.role !== 'member' ? (
                  <NavLink href={`${ws}/audit`} active={section === 'audit'}>
                    Audit log
                  </NavLink>
                ) : null}
              </>
            ) : null}
            <NavLink href="/account" active={section === 'account'}>
              Account Settings
            </NavLink>
          </ul>
        </nav>
        <main id="content" class="dash-main">
          {props.flash ? (
            <p class="flash" role="status">
              {props.flash}
            </p>
          ) : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

// Small pieces shared by dashboard pages.

/** The hidden CSRF field every POST form carries (S28). */
export function CsrfField(props: { csrf: string }) {
  return <input type="hidden" name="csrf" value={props.csrf} />;
}

/** A UTC date and time, e.g. "2025-05-01 14:03 UTC", in a <time> element. */
export function Time(props: { ms: number | null; dateOnly?: boolean }) {
  if (props.ms === null) return <span class="muted">—</span>;
  const iso = new Date(props.ms).toISOString();
  const text = props.dateOnly ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return <time datetime={iso}>{text}</time>;
}

/** A duration in ms as m:ss (or h:mm:ss). */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Previous/next links for a paged list; `hrefFor(page)` builds each page's URL. */
export function Pager(props: {
  page: number;
  perPage: number;
  total: number;
  hrefFor: (page: number) => string;
}) {
  const pages = Math.max(1, Math.ceil(props.total / props.perPage));
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {props.page > 1 ? (
        <a href={props.hrefFor(props.page - 1)} rel="prev">
          ← Newer
        </a>
      ) : (
        <span />
      )}
      <span class="muted">
        Page {props.page} of {pages}
      </span>
      {props.page < pages ? (
        <a href={props.hrefFor(props.page + 1)} rel="next">
          Older →
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}

/** A whole number from 1 out of a query parameter, else 1. */
export function pageParam(value: string | undefined): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1;
}
