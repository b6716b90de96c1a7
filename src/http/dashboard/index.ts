import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { createAssetRoutes } from './assets.ts';
import { dashboardChains } from './chains.ts';
import { dashboardErrorHandler, loadDashboardContext } from './context.ts';
import { createDeletedPages } from './deleted.tsx';
import { createLinksPages } from './links.tsx';
import { createRecordingsPages } from './recordings.tsx';

// The dashboard's Recordings, Links and Recently deleted pages, the workspace switcher and our own
// scripts. Other dashboard routers (settings, team, account, audit) are mounted next to this one in
// app.ts.
// Middleware is attached per route (never use('*')), so mounting at '/' wraps nobody else's routes
// (chains.ts).

/** The dashboard: mount at '/'. */
export function createDashboard(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'content');
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
