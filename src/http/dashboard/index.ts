import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Deps } from '../../services/deps.ts';
import { requireCsrf } from '../middleware/csrf.ts';
import { sessionMiddleware } from '../middleware/session.ts';
import { textGuard } from '../middleware/text-guard.ts';
import { renderErrorPage } from '../pages/error-page.tsx';
import { createAssetRoutes } from './assets.ts';
import { dashboardErrorHandler, loadDashboardContext } from './context.ts';
import { createDeletedPages } from './deleted.tsx';
import { createLinksPages } from './links.tsx';
import { createRecordingsPages } from './recordings.tsx';
import { dashboardHeaders } from './shell.tsx';

// The dashboard's Recordings, Links and Recently deleted pages, the workspace switcher and our own
// scripts. Other dashboard routers (settings, team, account, audit) are mounted next to this one in
// app.ts.
// Middleware is attached per route (never use('*')), so mounting at '/' wraps nobody else's routes.

/** The middleware chains every dashboard route uses. */
export interface DashboardChains {
  /** GET pages: S27 headers for the dashboard, the browser session, the text rule on the address (S38). */
  page: [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler];
  /** POST forms: the same, plus a body limit, the CSRF check (S28) and the text rule on every field. */
  form: [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler, MiddlewareHandler, MiddlewareHandler];
}

/** The link form's metadata textarea: the only field here that may hold tab, CR and LF (text-rules.ts). */
const MULTI_LINE_FORM_FIELDS: ReadonlySet<string> = new Set(['meta']);

// Dashboard forms hold short fields plus link metadata (≤ 10 KB of JSON, escaped in a form body).
const FORM_LIMIT = 64 * 1024;

/** Builds the middleware chains for dashboard routers. */
export function dashboardChains(deps: Deps): DashboardChains {
  // With STORAGE=s3 the player's video comes from the bucket's presigned URLs.
  const headers = dashboardHeaders(deps.files.downloadOrigin);
  const session = sessionMiddleware(deps);
  const limit = bodyLimit({
    maxSize: FORM_LIMIT,
    onError: (c) =>
      renderErrorPage(c, 413, 'Form too large', 'The form you sent is larger than this page accepts.'),
  });
  // The text rule runs last: a cross-site POST is a 403 (S28) whatever it holds.
  const addressGuard = textGuard();
  const formGuard = textGuard({ form: { multiLine: MULTI_LINE_FORM_FIELDS } });
  return {
    page: [headers, session, addressGuard],
    form: [headers, session, limit, requireCsrf(), formGuard],
  };
}

/** The dashboard: mount at '/'. */
export function createDashboard(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps);
  app.onError(dashboardErrorHandler(deps));
  app.route('/', createAssetRoutes());

  // The header's workspace switcher: a GET form, so it works without JavaScript.
  app.get('/w/switch', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const wanted = c.req.query('ws') ?? '';
    const target = ctx.workspaces.find((ws) => ws.id === wanted);
    if (!target) return c.redirect('/', 303);
    return c.redirect(`/w/${encodeURIComponent(target.id)}/recordings`, 303);
  });

  app.route('/', createRecordingsPages(deps, chains));
  app.route('/', createLinksPages(deps, chains));
  app.route('/', createDeletedPages(deps, chains));
  return app;
}
