import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Deps } from '../../services/deps.ts';
import { requireCsrf } from '../middleware/csrf.ts';
import { sessionMiddleware } from '../middleware/session.ts';
import { textGuard } from '../middleware/text-guard.ts';
import { renderErrorPage } from '../views/error-page.tsx';
import { dashboardHeaders } from './shell.tsx';

// The middleware chains of every dashboard router, attached per route (never with use('*')), so
// mounting a router at '/' wraps nobody else's routes.
//
// One interface, two presets. Every router spreads `...chains.page` on its GET routes and
// `...chains.form` on its POST routes and does not care which preset it got; what differs between
// the workspace content pages (recordings, links, recently deleted, the start page) and the
// settings/account pages is data, not shape: the form body limit, which form fields may span lines
// (domain/text-rules.ts), and whether the pages may load media from the file store's download origin
// (the player, with STORAGE=s3). A preset table keeps those three facts side by side instead of two
// copies of the same builder.

/** The middleware chains a dashboard router attaches to its routes. */
export interface DashboardChains {
  /** GET pages: the dashboard's S27 headers, the browser session, the text rule on the address (S38). */
  page: [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler];
  /** POST forms: the same, plus a body limit, the CSRF check (S28) and the text rule on every field. */
  form: [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler, MiddlewareHandler, MiddlewareHandler];
}

interface ChainPreset {
  /** Largest form body accepted (a 413 page above it). */
  formLimit: number;
  /** The form fields that may hold tab, CR and LF (textareas); every other field is single-line. */
  multiLine: ReadonlySet<string>;
  /** Whether the pages' CSP admits the file store's download origin for media (the player). */
  fileMedia: boolean;
}

export type DashboardChainsKind = keyof typeof PRESETS;

const PRESETS = {
  // Recordings, links, recently deleted, the start page: short fields plus link metadata (≤ 10 KB
  // of JSON, escaped in a form body) in the link form's `meta` textarea; the recording player
  // plays from the bucket's presigned URLs with STORAGE=s3.
  content: { formLimit: 64 * 1024, multiLine: new Set(['meta']), fileMedia: true },
  // Settings, team, audit, webhooks, integrations, deliveries, account: a few short fields; the
  // webhook form's description is the one that may span lines.
  settings: { formLimit: 16 * 1024, multiLine: new Set(['description']), fileMedia: false },
} satisfies Record<string, ChainPreset>;

/** Builds the middleware chains of one preset (`content` for workspace content, `settings` for the rest). */
export function dashboardChains(deps: Deps, kind: DashboardChainsKind): DashboardChains {
  const preset: ChainPreset = PRESETS[kind];
  const headers = dashboardHeaders(preset.fileMedia ? deps.files.downloadOrigin : null);
  const session = sessionMiddleware(deps);
  const limit = bodyLimit({
    maxSize: preset.formLimit,
    onError: (c) =>
      renderErrorPage(c, 413, 'Form too large', 'The form you sent is larger than this page accepts.'),
  });
  // The text rule runs last: a cross-site POST is a 403 (S28) whatever it holds.
  return {
    page: [headers, session, textGuard()],
    form: [headers, session, limit, requireCsrf(), textGuard({ form: { multiLine: preset.multiLine } })],
  };
}
