import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { checkSetupToken, completeSetup, type SetupTokenState } from '../../services/setup.ts';
import { csrfToken, requireCsrf } from '../middleware/csrf.ts';
import { pageSecurityHeaders } from '../middleware/security-headers.ts';
import { sessionMiddleware, signInBrowser } from '../middleware/session.ts';
import { textGuard } from '../middleware/text-guard.ts';
import { renderErrorPage } from '../views/error-page.tsx';
import { Page, renderPage } from '../views/layout.tsx';
import { friendly } from '../views/text.ts';
import { pagesErrorHandler } from './error-handler.ts';

// First run (issue 5): `userplane serve` prints /setup/<token> while the database has no users.
// The page creates the first account and its first workspace, signs the browser in and lands in
// the workspace. The token is single-use and expires; once any user exists the page is gone (410).

interface SetupDraft {
  name: string;
  email: string;
  workspaceName: string;
}

function SetupPage(props: { csrf: string; action: string; draft?: SetupDraft; error?: string | undefined }) {
  const d = props.draft;
  return (
    <Page title="Set up Userplane">
      <div class="card">
        <h1>Set up Userplane</h1>
        <p>Create the first account and its workspace. You will be the workspace's owner.</p>
        <form method="post" action={props.action}>
          <input type="hidden" name="csrf" value={props.csrf} />
          <label for="setup-name">Your name</label>
          <input
            id="setup-name"
            type="text"
            name="name"
            required
            maxlength={100}
            autocomplete="name"
            value={d?.name ?? ''}
          />
          <label for="setup-email">Email</label>
          <input
            id="setup-email"
            type="email"
            name="email"
            required
            maxlength={254}
            autocomplete="email"
            value={d?.email ?? ''}
          />
          <label for="setup-password">Password</label>
          <input
            id="setup-password"
            type="password"
            name="password"
            required
            minlength={8}
            maxlength={256}
            autocomplete="new-password"
          />
          <p class="hint">At least 8 characters.</p>
          <label for="setup-workspace">Workspace name</label>
          <input
            id="setup-workspace"
            type="text"
            name="workspace"
            required
            maxlength={100}
            placeholder="Acme Support"
            value={d?.workspaceName ?? ''}
          />
          {props.error ? (
            <p class="error" role="alert">
              {props.error}
            </p>
          ) : null}
          <button type="submit" class="full">
            Create account and workspace
          </button>
        </form>
      </div>
    </Page>
  );
}

function refused(c: Context, state: Exclude<SetupTokenState, 'valid'>): Response {
  if (state === 'done')
    return renderErrorPage(c, 410, 'Setup is complete', 'This server is already set up. Sign in at /signin.');
  if (state === 'expired')
    return renderErrorPage(
      c,
      410,
      'Setup link expired',
      'This setup link has expired. Restart the server: it prints a new link while no account exists.',
    );
  return renderErrorPage(
    c,
    404,
    'Page not found',
    'This setup link is not valid. Use the newest link the server printed.',
  );
}

const FORM_LIMIT = 16 * 1024;

/** GET/POST /setup/:token; mount at '/'. */
export function createSetupRoutes(deps: Deps): Hono {
  const app = new Hono();
  // Like the sign-in pages: refusals are pages, anything unexpected the JSON renderer's.
  app.onError(pagesErrorHandler(deps.log));
  const headers = pageSecurityHeaders({ formAction: "'self'" });
  const session = sessionMiddleware(deps);
  const limit = bodyLimit({
    maxSize: FORM_LIMIT,
    onError: (c) =>
      renderErrorPage(c, 413, 'Form too large', 'The form you sent is larger than this page accepts.'),
  });

  // The token, name, e-mail and password are single-line text (domain/text-rules.ts, S38).
  const guard = textGuard();
  const formGuard = textGuard({ form: { multiLine: new Set() } });

  app.get('/setup/:token', headers, session, guard, async (c) => {
    const token = c.req.param('token');
    const state = await checkSetupToken(deps, token);
    if (state !== 'valid') return refused(c, state);
    return renderPage(c, <SetupPage csrf={csrfToken(c)} action={`/setup/${encodeURIComponent(token)}`} />);
  });

  app.post('/setup/:token', headers, limit, session, requireCsrf(), formGuard, async (c) => {
    const token = c.req.param('token');
    const form = await c.req.parseBody();
    const text = (name: string, max: number) => {
      const value = form[name];
      return typeof value === 'string' ? value.slice(0, max) : '';
    };
    const draft: SetupDraft = {
      name: text('name', 200),
      email: text('email', 300).trim(),
      workspaceName: text('workspace', 200),
    };
    const password = text('password', 300);
    try {
      const { user, workspace } = await completeSetup(deps, token, { ...draft, password });
      await signInBrowser(c, deps, user);
      return c.redirect(`/w/${encodeURIComponent(workspace.id)}/recordings`, 303);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'VALIDATION_FAILED') {
        return renderPage(
          c,
          <SetupPage
            csrf={csrfToken(c)}
            action={`/setup/${encodeURIComponent(token)}`}
            draft={draft}
            error={friendly(error.message)}
          />,
          400,
        );
      }
      if (error instanceof ApiError && (error.status === 404 || error.status === 410)) {
        const state = await checkSetupToken(deps, token);
        return refused(c, state === 'valid' ? 'done' : state);
      }
      throw error;
    }
  });

  return app;
}
