import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { PageError } from '../middleware/page-error.ts';
import { Page, renderPage } from './layout.tsx';

/** The body of an error page: a title, one plain sentence, and a way back. */
export function ErrorPage(props: { title: string; message: string }) {
  return (
    <Page title={props.title}>
      <div class="card">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <p class="muted">
          <a href="/">Go to the start page</a>
        </p>
      </div>
    </Page>
  );
}

/**
 * Renders a local error page (never a redirect, S1/S4) with the S27 headers. Used for invalid
 * authorization requests, refused forms (S28) and closed sign-up.
 */
export function renderErrorPage(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  message: string,
): Response {
  return renderPage(c, <ErrorPage title={title} message={message} />, status);
}

/** The error page of a request a middleware refused (CSRF, text rule): its status, title and sentence. */
export function renderPageError(c: Context, error: PageError): Response {
  return renderErrorPage(c, error.status, error.title, error.message);
}
