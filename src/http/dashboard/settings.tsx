import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { createAuditRoutes } from './audit.tsx';
import { dashboardChains } from './chains.ts';
import { createDomainsRoutes } from './settings-domains.tsx';
import { createGeneralRoutes } from './settings-general.tsx';
import { createProjectsRoutes } from './settings-projects.tsx';
import { createTeamRoutes } from './team.tsx';

// Workspace Settings (PRODUCT.md §6), one file per tab: General (settings-general.tsx), Projects
// (settings-projects.tsx), Domains (settings-domains.tsx) and Team with the invitation page
// (team.tsx); plus the audit log (audit.tsx). Integrations, Webhooks and Deliveries have their own
// routers, mounted by createDashboard. Everyone in the workspace may look; the forms a role may
// not use are not rendered, and the services refuse them anyway (a forged POST answers 403 and
// changes nothing).

/** Workspace Settings' tabs, the invitation page and the audit log; mount at '/'. */
export function createSettingsRoutes(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'settings');
  app.route('/', createGeneralRoutes(deps, chains));
  app.route('/', createProjectsRoutes(deps, chains));
  app.route('/', createDomainsRoutes(deps, chains));
  app.route('/', createTeamRoutes(deps, chains));
  app.route('/', createAuditRoutes(deps, chains));
  return app;
}
