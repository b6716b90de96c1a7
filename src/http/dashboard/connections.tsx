import { type Context, Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { type ConnectedApp, listConnectedApps, revokeConnectedApp } from '../../services/oauth/grants.ts';
import { clientIp } from '../middleware/client-ip.ts';
import type { DashboardChains } from './chains.ts';
import { loadDashboardContext, notFoundPage } from './context.ts';
import { ActionMenu, ConfirmField, CopyField, ListTable, PostForm } from './kit.tsx';
import { AccountPage, FormError, flashFrom, formFields, redirectWithFlash } from './settings-common.tsx';
import { renderDashboard, Time } from './shell.tsx';

// Account Settings > Connections (PRODUCT.md §1 Connected app, §6): one row per AI application the
// user authorized, with its scope, status, dates and a ⋯ menu to revoke it. Revoking asks the
// person to type the application's name, then cuts that client off at once (S20) and leaves the
// others working.

const FLASH = { revoked: 'Access revoked: the application can no longer reach your data' };

/** What each scope lets an application do, shown when hovering the Permissions cell. */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  'mcp:tools':
    'Use the Userplane MCP tools as you, with your role in each workspace: read your profile, workspaces, projects, domains and members; read recordings (details, video, thumbnail, console, network and actions); list, create, update and delete recording links; delete recordings.',
};

/** The full list behind a scope string, for the `title` attribute. */
export function scopeDescription(scope: string): string {
  return scope
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => `${s}: ${SCOPE_DESCRIPTIONS[s] ?? 'a permission this server does not describe'}`)
    .join('\n');
}

/**
 * The icon URL the page may show: only our own origin or a data: image, because the dashboard's CSP
 * (`img-src 'self' data:`) blocks every other origin, and a broken image is worse than an initial.
 */
export function displayableIcon(logoUri: string | null, publicUrl: string): string | null {
  if (!logoUri) return null;
  if (/^data:image\/(png|jpeg|gif|webp|svg\+xml)[;,]/i.test(logoUri)) return logoUri;
  try {
    return new URL(logoUri).origin === new URL(publicUrl).origin ? logoUri : null;
  } catch {
    return null;
  }
}

function AppIcon(props: { app: ConnectedApp; publicUrl: string }) {
  const src = displayableIcon(props.app.logoUri, props.publicUrl);
  if (src) return <img src={src} alt="" width={32} height={32} class="app-icon" />;
  const initial = (props.app.name.trim()[0] ?? '?').toUpperCase();
  return (
    <span class="app-icon avatar" aria-hidden="true">
      {initial}
    </span>
  );
}

function ConnectionsBody(props: {
  apps: ConnectedApp[];
  csrf: string;
  publicUrl: string;
  error?: { grantId: string; message: string } | undefined;
}) {
  const mcpUrl = `${props.publicUrl}/mcp`;
  return (
    <>
      <section class="card" aria-labelledby="apps-heading">
        <h2 id="apps-heading">Connected Apps</h2>
        <ListTable
          columns={['Application', 'Permissions', 'Status', 'Authorized', 'Last used', { hidden: 'Actions' }]}
          items={props.apps}
          empty={<p>No AI application is connected to your account yet.</p>}
          row={(app) => (
            <tr data-grant={app.grantId}>
              <td data-label="Application">
                <span class="app-name">
                  <AppIcon app={app} publicUrl={props.publicUrl} />
                  {app.name}
                  {app.verifiedVendor ? <span class="badge verified">{app.verifiedVendor}</span> : null}
                </span>
              </td>
              <td data-label="Permissions" title={scopeDescription(app.scope)}>
                <code>{app.scope}</code>
              </td>
              <td data-label="Status">
                <span class={`badge status-${app.status}`}>
                  {app.status === 'active' ? 'Active' : 'Inactive'}
                </span>
              </td>
              <td data-label="Authorized">
                <Time ms={app.authorizedAt} dateOnly />
              </td>
              <td data-label="Last used">
                <Time ms={app.lastUsedAt} />
              </td>
              <td>
                {app.revokedAt === null ? (
                  <ActionMenu actionsFor={app.name} open={props.error?.grantId === app.grantId}>
                    <PostForm
                      action={`/account/connections/${encodeURIComponent(app.grantId)}/revoke`}
                      csrf={props.csrf}
                      button="Revoke Access"
                    >
                      <p>{`${app.name} loses access to your data at once; it has to ask you again to reconnect.`}</p>
                      <ConfirmField id={`revoke-${app.grantId}`} label={`Type ${app.name} to confirm`} />
                      {props.error?.grantId === app.grantId ? (
                        <FormError error={props.error.message} />
                      ) : null}
                    </PostForm>
                  </ActionMenu>
                ) : null}
              </td>
            </tr>
          )}
        />
      </section>
      <section class="card" aria-labelledby="connect-heading">
        <h2 id="connect-heading">Connect an AI application</h2>
        <p>
          AI applications reach your recordings through our MCP server. Add this URL as a remote MCP server;
          the application opens a page here where you sign in and allow it.
        </p>
        <CopyField id="mcp-url" label="MCP server URL" value={mcpUrl} />
        <ul class="howto">
          <li>
            <strong>Claude</strong>: Settings → Connectors → Add custom connector, and paste the URL.
          </li>
          <li>
            <strong>Cursor</strong>: Settings → MCP → Add new MCP server, type “streamable HTTP”, and paste
            the URL.
          </li>
          <li>
            <strong>VS Code</strong>: run “MCP: Add Server…” from the command palette, choose HTTP, and paste
            the URL.
          </li>
          <li>
            <strong>ChatGPT</strong>: Settings → Connectors → Create (developer mode), and paste the URL.
          </li>
        </ul>
      </section>
    </>
  );
}

/** Account Settings > Connections; mounted by createAccountRoutes. */
export function createConnectionsRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  const page = async (c: Context, error?: { grantId: string; message: string }) => {
    const ctx = await loadDashboardContext(c, deps);
    const apps = await listConnectedApps(deps, ctx.user.id);
    return renderDashboard(
      c,
      <AccountPage ctx={ctx} title="Connections" tab="connections" flash={flashFrom(c, FLASH)}>
        <ConnectionsBody apps={apps} csrf={ctx.csrf} publicUrl={deps.config.publicUrl} error={error} />
      </AccountPage>,
      error ? 400 : 200,
    );
  };

  app.get('/account/connections', ...chains.page, async (c) => page(c));

  app.post('/account/connections/:grantId/revoke', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const field = await formFields(c);
    const grantId = c.req.param('grantId');
    const apps = await listConnectedApps(deps, ctx.user.id);
    const target = apps.find((a) => a.grantId === grantId);
    // Someone else's grant, or one that is not in the list: the same not-found answer.
    if (!target) return notFoundPage(c);
    if (field('confirm', 300) !== target.name) {
      return page(c, {
        grantId,
        message: `Type the application's name exactly (${target.name}) to revoke its access.`,
      });
    }
    await revokeConnectedApp(deps, ctx.user.id, grantId, {
      ip: clientIp(c, deps.config.trustProxy),
      userAgent: c.req.header('user-agent') ?? null,
    });
    return redirectWithFlash(c, '/account/connections', 'revoked');
  });

  return app;
}
