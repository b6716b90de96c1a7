import { z } from 'zod';

// The one rule for text that crosses a boundary (SECURITY.md S38), used by every surface: the REST
// and recorder schemas, the MCP tool arguments, the OAuth endpoints and the dashboard forms.
//
// - NUL is refused everywhere: PostgreSQL's text type cannot hold it (the driver's error became a
//   500), SQLite stores it and every C string API cut the value short after it.
// - Unpaired UTF-16 surrogates ("\ud800" in JSON) are refused everywhere: they are not Unicode, and
//   both drivers encode text as UTF-8, silently turning them into U+FFFD, so what was stored would
//   not be what was sent.
// - Single-line fields (names, titles, ids, e-mails, URLs, search terms, OAuth parameters) refuse
//   every C0 control character and DEL: none belongs in them, and a CR/LF or an escape sequence in
//   a name ends up in headers, logs, terminals and e-mails.
// - Multi-line fields (notes, descriptions, meta values) keep tab, CR and LF, nothing else below
//   U+0020.
//
// Messages name no character by escape (no backslash, no quote) so they fit an OAuth
// error_description (RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E) as well as a REST error.

/** A single-line field refuses all control characters; a multi-line one keeps tab, CR and LF. */
export type TextKind = 'single-line' | 'multi-line';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const SINGLE_LINE_CONTROLS = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const MULTI_LINE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

// String.prototype.isWellFormed is in Node 20 (V8 11.3) but in TypeScript's ES2024 lib, not ours.
interface MaybeWellFormed {
  isWellFormed?: () => boolean;
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function wellFormed(value: string): boolean {
  const native = (value as unknown as MaybeWellFormed).isWellFormed;
  return native ? native.call(value) : !LONE_SURROGATE.test(value);
}

/** What is wrong with `value` as text of this kind, as "must …" words; undefined when nothing is. */
export function textProblem(value: string, kind: TextKind): string | undefined {
  const noun = offence(value, kind);
  return noun === undefined ? undefined : `must not contain ${noun}`;
}

/** The noun phrase for the first offence in `value`, or undefined. */
function offence(value: string, kind: TextKind): string | undefined {
  if ((kind === 'single-line' ? SINGLE_LINE_CONTROLS : MULTI_LINE_CONTROLS).test(value)) {
    if (value.includes('\u0000')) return 'NUL characters (U+0000)';
    return kind === 'single-line'
      ? 'control characters (U+0000-U+001F, U+007F)'
      : 'control characters other than tab, CR and LF';
  }
  if (!wellFormed(value)) return 'unpaired UTF-16 surrogates (not valid Unicode)';
  return undefined;
}

/** A problem found inside a structured value: where (zod-style path segments) and what. */
export interface TextIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * The first text problem anywhere in a JSON value (link meta, captured metadata): object keys are
 * single-line, string values `valueKind`. Walked with a stack of parent links (the path is only
 * spelled out for the problem found), so even a body nested 30,000 levels deep costs linear time
 * and cannot overflow our call stack.
 */
export function jsonTextIssue(value: unknown, valueKind: TextKind = 'multi-line'): TextIssue | undefined {
  interface Step {
    value: unknown;
    key: string | number | undefined;
    parent: Step | undefined;
  }
  const pathOf = (step: Step | undefined): Array<string | number> => {
    const path: Array<string | number> = [];
    for (let at = step; at && at.key !== undefined; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Step[] = [{ value, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const current = step.value;
    if (typeof current === 'string') {
      const problem = textProblem(current, valueKind);
      if (problem) return { path: pathOf(step), message: problem };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], key: i, parent: step });
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current);
      for (const [key] of entries) {
        const noun = offence(key, 'single-line');
        // The key itself is not echoed: it is the thing that cannot be shown.
        if (noun) return { path: pathOf(step), message: `keys must not contain ${noun}` };
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push({ value: child, key, parent: step });
      }
    }
  }
  return undefined;
}

// ---- zod ----------------------------------------------------------------------------------------
// Every input schema builds its strings from these, so the rule cannot be forgotten field by field.
// In zod 4 a refinement returns the same ZodString, so `.min()`, `.max()` and `.openapi()` chain on.

function refineText(kind: TextKind) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, kind);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

const refineSingleLine = refineText('single-line');
const refineMultiLine = refineText('multi-line');

/** A single-line string input: names, titles, ids, e-mails, URLs, search terms. */
export function singleLine() {
  return z.string().superRefine(refineSingleLine);
}

/** A multi-line string input (notes, descriptions): tab, CR and LF allowed, other controls not. */
export function multiLine() {
  return z.string().superRefine(refineMultiLine);
}

/**
 * A free JSON object (link meta, captured metadata): keys single-line and at most `maxKey`
 * characters, string values anywhere inside multi-line. Its size is the caller's business.
 */
export function jsonObject(maxKey: number) {
  // Keys are checked by the walk, not by the key schema: zod would put the offending key itself in
  // the issue's path, and so in the error message.
  return z.record(z.string().max(maxKey), z.unknown()).superRefine((value, ctx) => {
    const issue = jsonTextIssue(value);
    if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}
