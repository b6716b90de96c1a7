import { Hono } from 'hono';
import { ApiError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { createWorkspace } from '../../services/workspaces.ts';
import { dashboardChains } from './chains.ts';
import { loadDashboardContext } from './context.ts';
import { CsrfField, DashboardPage, renderDashboard } from './shell.tsx';

// GET / : where a browser lands. Signed out → sign-in. Signed in with a workspace → that
// workspace's recordings. Signed in without one → an empty state that creates the first workspace.

function EmptyHome(props: {
  ctx: Awaited<ReturnType<typeof loadDashboardContext>>;
  mcpUrl: string;
  error?: string;
  name?: string;
}) {
  const { ctx } = props;
  return (
    <DashboardPage title="Welcome" user={ctx.user} csrf={ctx.csrf} workspaces={ctx.workspaces}>
      <div class="card narrow">
        <h1>Create your first workspace</h1>
        <p>
          A workspace holds your team's recording links and the recordings customers send through them. You
          can invite teammates once it exists. If someone invited you, open the invitation link they sent
          instead.
        </p>
        <form method="post" action="/w">
          <CsrfField csrf={ctx.csrf} />
          <label for="workspace-name">Workspace name</label>
          <input
            id="workspace-name"
            type="text"
            name="name"
            required
            maxlength={100}
            value={props.name ?? ''}
            aria-describedby={props.error ? 'workspace-error' : undefined}
            aria-invalid={props.error ? 'true' : undefined}
          />
          {props.error ? (
            <p id="workspace-error" class="error" role="alert">
              {props.error}
            </p>
          ) : null}
          <div class="actions">
            <button type="submit">Create workspace</button>
          </div>
        </form>
        <p class="muted">
          AI clients (Claude, Cursor, VS Code, ChatGPT) connect to <code>{props.mcpUrl}</code>; programs use
          the REST API with an API key (see the <a href="/api/docs">API reference</a>).
        </p>
      </div>
    </DashboardPage>
  );
}

/** GET / and POST /w (create a workspace). */
export function createHomePage(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'content');
  const mcpUrl = `${deps.config.publicUrl}/mcp`;

  app.get('/', ...chains.page, async (c) => {
    if (!c.get('user')) return c.redirect('/signin', 302);
    const ctx = await loadDashboardContext(c, deps);
    const first = ctx.workspaces[0];
    if (first) return c.redirect(`/w/${encodeURIComponent(first.id)}/recordings`, 302);
    return renderDashboard(c, <EmptyHome ctx={ctx} mcpUrl={mcpUrl} />);
  });

  app.post('/w', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const form = await c.req.parseBody();
    const name = typeof form.name === 'string' ? form.name.slice(0, 200) : '';
    try {
      const { workspace } = await createWorkspace(deps, { name, ownerUserId: ctx.user.id });
      return c.redirect(`/w/${encodeURIComponent(workspace.id)}/recordings?flash=workspace-created`, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const message =
        error.code === 'VALIDATION_FAILED'
          ? 'Give the workspace a name of 1 to 100 characters.'
          : error.message;
      return renderDashboard(c, <EmptyHome ctx={ctx} mcpUrl={mcpUrl} error={message} name={name} />, 400);
    }
  });
  return app;
}
