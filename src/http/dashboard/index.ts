import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { createAccountRoutes } from './account.tsx';
import { createAssetRoutes } from './assets.ts';
import { dashboardChains } from './chains.ts';
import { dashboardErrorHandler, loadDashboardContext } from './context.ts';
import { createDeletedPages } from './deleted.tsx';
import { createDeliveryRoutes } from './deliveries.tsx';
import { createHomePage } from './home.tsx';
import { createIntegrationRoutes } from './integrations.tsx';
import { createLinksPages } from './links.tsx';
import { createRecordingsPages } from './recordings.tsx';
import { createSettingsRoutes } from './settings.tsx';
import { createWebhookRoutes } from './webhooks.tsx';

// The whole dashboard, one router for app.ts: the start page, our own scripts and styles, the
// workspace switcher, Recordings, Links, Recently deleted, Workspace Settings (general, projects,
// domains, team, audit, integrations, webhooks, deliveries) and Account Settings.
//
// One error handler for all of it: hono runs a sub-app's routes under the onError of the app it
// is mounted in when the sub-app installs none, so the routers below install none and every
// dashboard error (the not-found page, a refused form, a service error) is rendered here.
// Middleware is attached per route (never use('*'), chains.ts), so mounting at '/' wraps nobody
// else's routes.

/** The dashboard: mount at '/'. */
export function createDashboard(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'content');
  app.onError(dashboardErrorHandler(deps));
  app.route('/', createHomePage(deps));
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
  app.route('/', createSettingsRoutes(deps));
  app.route('/', createIntegrationRoutes(deps));
  app.route('/', createWebhookRoutes(deps));
  app.route('/', createDeliveryRoutes(deps));
  app.route('/', createAccountRoutes(deps));
  return app;
}
