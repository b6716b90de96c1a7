import type { Context, ErrorHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { ApiError, DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '../../domain/errors.ts';
import type { User } from '../../domain/types.ts';
import { type Access, requireMember } from '../../services/access.ts';
import type { Deps } from '../../services/deps.ts';
import { listMyWorkspaces } from '../../services/workspace-admin.ts';
import { csrfToken } from '../middleware/csrf.ts';
import { clientWentAway } from '../middleware/error-handler.ts';
import { PageError } from '../middleware/page-error.ts';
import { secureCookies } from '../middleware/session.ts';
import { renderErrorPage, renderPageError } from '../views/error-page.tsx';
import type { ShellWorkspace } from './shell.tsx';

// Per-request context of a dashboard page: who is signed in, their workspaces (for the switcher)
// and, on workspace pages, their current membership, read fresh on every request (S40).
//
// Both loaders end the request by throwing an HTTPException that carries the finished response
// (a redirect to sign-in, or the not-found page). createDashboard (index.ts) installs
// `dashboardErrorHandler(deps)` once for every dashboard router; it sends that response and turns
// service errors into pages.

export interface DashboardContext {
  user: User;
  csrf: string;
  workspaces: ShellWorkspace[];
  /** The workspace last opened in this browser, so pages outside a workspace keep its navigation. */
  recent: ShellWorkspace | undefined;
}

/** Remembers the last opened workspace (an id only; membership is checked on every use). */
const RECENT_WORKSPACE_COOKIE = 'up_ws';

export interface WorkspaceContext {
  access: Access;
  current: ShellWorkspace;
}

// Nobody belongs to more workspaces than this in the switcher; owners are capped at three.
const SWITCHER_LIMIT = 100;

/** Ends the request with `res` (sent by dashboardErrorHandler, or by the root handler's fallback). */
export function stopWith(res: Response): never {
  throw new HTTPException(res.status as 400, { res });
}

function signInRedirect(c: Context): never {
  const url = new URL(c.req.url);
  const returnTo = `${url.pathname}${url.search}`;
  stopWith(c.redirect(`/signin?return_to=${encodeURIComponent(returnTo)}`, 302));
}

/**
 * The one answer for a workspace or object the caller cannot see: the same page whether or not it
 * exists (S39).
 */
export function notFoundPage(c: Context): Response {
  return renderErrorPage(
    c,
    404,
    'Page not found',
    'There is nothing here, or you do not have access to it. Check the address, or ask the person who sent it to add you to their workspace.',
  );
}

/** The signed-in user, a CSRF token for forms, and the user's workspaces; or a redirect to sign-in. */
export async function loadDashboardContext(c: Context, deps: Deps): Promise<DashboardContext> {
  const user = c.get('user');
  if (!user) signInRedirect(c);
  const list = await listMyWorkspaces(deps, user.id, { page: 1, perPage: SWITCHER_LIMIT });
  const workspaces = list.items.map(({ workspace, member }) => ({
    id: workspace.id,
    name: workspace.name,
    role: member.role,
  }));
  const recentId = getCookie(c, RECENT_WORKSPACE_COOKIE);
  return { user, csrf: csrfToken(c), workspaces, recent: workspaces.find((w) => w.id === recentId) };
}

/**
 * The caller's live membership of `workspaceId`. Not a member, or no such workspace: the
 * not-found page (S39). A deleted workspace the caller belonged to: a 410 page.
 */
export async function requireWorkspace(
  c: Context,
  deps: Deps,
  workspaceId: string,
): Promise<WorkspaceContext> {
  const user = c.get('user');
  if (!user) signInRedirect(c);
  try {
    const access = await requireMember(deps, user.id, workspaceId);
    setCookie(c, RECENT_WORKSPACE_COOKIE, access.workspace.id, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      secure: secureCookies(deps.config),
    });
    return {
      access,
      current: { id: access.workspace.id, name: access.workspace.name, role: access.member.role },
    };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'WORKSPACE_GONE') {
      stopWith(renderErrorPage(c, 410, 'Workspace deleted', 'This workspace has been deleted.'));
    }
    if (error instanceof ApiError) stopWith(notFoundPage(c));
    throw error;
  }
}

/**
 * The dashboard's `app.onError` (installed once, by createDashboard): renders the refusals of the
 * middleware chains (PageError), sends responses carried by stopWith, renders service
 * errors as pages (anything "not found" or "not a member" as the one not-found page, S39), and
 * hides anything unexpected behind a generic 500 page.
 */
export function dashboardErrorHandler(deps: Deps): ErrorHandler {
  return (error, c) => {
    // A request the chain's middleware refused (CSRF, the text rule): its page.
    if (error instanceof PageError) return renderPageError(c, error);
    if (error instanceof HTTPException) {
      if (error.res) return error.getResponse();
      if (error.status === 413)
        return renderErrorPage(
          c,
          413,
          'Form too large',
          'The form you sent is larger than this page accepts.',
        );
      return renderErrorPage(c, 400, 'Bad request', 'The request could not be read. Go back and try again.');
    }
    if (error instanceof DatabaseUnavailableError) {
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return renderErrorPage(
        c,
        503,
        'Temporarily unavailable',
        'Userplane cannot reach its database right now. Nothing was changed; try again in a few seconds.',
      );
    }
    if (error instanceof ApiError) {
      if (error.status === 404 || error.code === 'NOT_A_MEMBER') return notFoundPage(c);
      if (error.status === 410) return renderErrorPage(c, 410, 'Deleted', error.message);
      return renderErrorPage(c, error.status, 'That did not work', error.message);
    }
    if (clientWentAway(error, c)) {
      deps.log.info({ path: c.req.path, method: c.req.method }, 'client closed the connection mid-request');
      return renderErrorPage(c, 400, 'Bad request', 'The request was cut off.');
    }
    deps.log.error({ err: error, path: c.req.path, method: c.req.method }, 'dashboard error');
    return renderErrorPage(c, 500, 'Something went wrong', 'Something went wrong on our side. Try again.');
  };
}
