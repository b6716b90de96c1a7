import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { csrfToken } from '../middleware/csrf.ts';
import { pageSecurityHeaders } from '../middleware/security-headers.ts';
import { sessionMiddleware } from '../middleware/session.ts';
import { Page, renderPage } from './layout.tsx';

// The start page after sign-in. The dashboard (issue 5) replaces it; until then it tells a signed-in
// person the two ways in: the MCP URL for AI clients and the REST API reference.

/** GET / : the start page for a signed-in browser, or the sign-in page. */
export function createHomePage(deps: Deps): Hono {
  const app = new Hono();
  app.get('/', pageSecurityHeaders(), sessionMiddleware(deps), (c) => {
    const user = c.get('user');
    if (!user) return c.redirect('/signin', 302);
    const mcpUrl = `${deps.config.publicUrl}/mcp`;
    return renderPage(
      c,
      <Page title="Home" user={user} csrf={csrfToken(c)}>
        <div class="card">
          <h1>Welcome, {user.name}</h1>
          <p>
            AI clients (Claude, Cursor, VS Code, ChatGPT) connect to <code>{mcpUrl}</code>; they will ask you
            to sign in and approve them here.
          </p>
          <p>
            Programs use the REST API with an API key: see the <a href="/api/docs">API reference</a>.
          </p>
        </div>
      </Page>,
    );
  });
  return app;
}
