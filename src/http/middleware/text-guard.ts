import type { Context, MiddlewareHandler } from 'hono';
import { validationError } from '../../domain/errors.ts';
import { type TextKind, textProblem } from '../../domain/text-rules.ts';
import { PageError } from './page-error.ts';

// The text rule (domain/text-rules.ts) for the surfaces that read requests by hand rather than
// through a zod schema: the dashboard, the sign-in pages, first-run setup, the recorder page and
// the recorder's upload API.
// Path parameters and query values are single-line; form fields too, except those the surface
// names as multi-line (textareas). A request that breaks it gets a 400 page naming the field (a
// PageError the surface's error handler renders), and the handler never runs, so nothing is saved
// (S38).

/** Where a request breaks the text rule: the field (parameter or form field) and what is wrong. */
export interface RequestTextIssue {
  field: string;
  message: string;
}

function issueOf(name: string, value: string, kind: TextKind): RequestTextIssue | undefined {
  const problem = textProblem(value, kind);
  if (problem) return { field: shownName(name), message: problem };
  // A name with controls in it cannot be shown; the value is fine, the request is not.
  const nameProblem = textProblem(name, 'single-line');
  return nameProblem ? { field: 'a field name', message: nameProblem } : undefined;
}

function shownName(name: string): string {
  return textProblem(name, 'single-line') === undefined && name.length <= 100 ? name : 'a field name';
}

/** Longest route parameter (ids are 30 characters, invitation and setup tokens 43). */
export const MAX_ROUTE_PARAM_LENGTH = 200;

/**
 * The first text problem of a request's route parameters and query string. Middleware attached to
 * a route (not `use('*')`) sees that route's parameters.
 */
export function requestTextIssue(
  c: Context,
  sanitized: ReadonlySet<string> = new Set(),
): RequestTextIssue | undefined {
  for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) {
    const issue = issueOf(name, value, 'single-line');
    if (issue) return issue;
    if (value.length > MAX_ROUTE_PARAM_LENGTH)
      return { field: name, message: `must be at most ${MAX_ROUTE_PARAM_LENGTH} characters` };
  }
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (sanitized.has(name)) continue;
    for (const value of values) {
      const issue = issueOf(name, value, 'single-line');
      if (issue) return issue;
    }
  }
  return undefined;
}

/** The first text problem of a parsed form body; fields in `multiLine` keep tab, CR and LF. */
export function formTextIssue(
  form: Record<string, unknown>,
  multiLine: ReadonlySet<string>,
  sanitized: ReadonlySet<string> = new Set(),
): RequestTextIssue | undefined {
  for (const [name, raw] of Object.entries(form)) {
    if (sanitized.has(name)) continue;
    const kind: TextKind = multiLine.has(name) ? 'multi-line' : 'single-line';
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      // Uploaded files are bytes, not text.
      if (typeof value !== 'string') continue;
      const issue = issueOf(name, value, kind);
      if (issue) return issue;
    }
  }
  return undefined;
}

/** The 400 refusal of a field: which field, what is wrong, and that nothing changed. */
export function textIssueError(issue: RequestTextIssue): PageError {
  return new PageError(
    400,
    'Invalid input',
    `The field ${issue.field} ${issue.message}. Nothing was changed: go back, correct it and try again.`,
  );
}

/** What a guard checks beyond route parameters and the query string. */
export interface TextGuardOptions {
  /** Check the form body too; these fields may hold tab, CR and LF. */
  form?: { multiLine: ReadonlySet<string> };
  /**
   * Fields the surface itself reduces to a safe value instead (return_to: anything but a clean
   * same-origin path becomes "/", S4), so a hostile one is ignored rather than refused.
   */
  sanitized?: ReadonlySet<string>;
}

/**
 * Refuses a request whose route parameters, query string or (with `form`) urlencoded or multipart
 * body break the text rule, with a 400 page naming the field, before the handler runs (thrown as a
 * PageError, rendered by the surface's error handler).
 */
export function textGuard(options: TextGuardOptions = {}): MiddlewareHandler {
  const sanitized = options.sanitized ?? new Set<string>();
  return async (c, next) => {
    let issue = requestTextIssue(c, sanitized);
    if (!issue && options.form && c.req.method === 'POST') {
      let form: Record<string, unknown> = {};
      try {
        // Cached by hono: the CSRF check and the handler read the same parsed body.
        form = await c.req.parseBody({ all: true });
      } catch {
        form = {}; // unreadable: the handler answers it as it always has
      }
      issue = formTextIssue(form, options.form.multiLine, sanitized);
    }
    if (issue) throw textIssueError(issue);
    await next();
  };
}

/**
 * The same check for JSON APIs read by hand (the recorder's upload API): route parameters and query
 * values that break the rule are a 400 VALIDATION_FAILED naming them, rendered by the API's onError.
 */
export function apiTextGuard(): MiddlewareHandler {
  return async (c, next) => {
    const issue = requestTextIssue(c);
    if (issue) throw validationError(issue.field, issue.message);
    await next();
  };
}
