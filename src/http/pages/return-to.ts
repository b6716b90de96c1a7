import { textProblem } from '../../domain/text-rules.ts';

// Where a browser goes after signing in, up or out (SECURITY.md S4): only a path on our own
// origin, never an absolute URL taken from a parameter.

const MAX_RETURN_TO = 4096;

/**
 * `value` when it is a same-origin path, otherwise '/'. Refuses protocol-relative `//host`, any
 * backslash (browsers read `/\host` as `//host`), control characters (browsers drop tab and
 * newline, turning `/\t/host` into `//host`) and anything with a scheme such as `javascript:`.
 */
export function safeReturnTo(value: unknown, publicUrl: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return '/';
  if (value[0] !== '/' || value[1] === '/' || value.includes('\\')) return '/';
  // The shared text rule (domain/text-rules.ts), answered with the safe default rather than a 400:
  // a redirect target that is not a clean path just goes home (S4).
  if (textProblem(value, 'single-line') !== undefined) return '/';
  try {
    // Belt and braces: resolved against our origin, it must stay on our origin.
    const base = new URL(publicUrl);
    const target = new URL(value, base);
    if (target.origin !== base.origin) return '/';
  } catch {
    return '/';
  }
  return value;
}
