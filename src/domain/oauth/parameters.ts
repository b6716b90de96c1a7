import { textProblem } from '../text-rules.ts';

// The rule for one OAuth request parameter (authorization query, token and revocation forms): the
// shared text rule for single-line text (RFC 6749 Appendix A: every parameter is VSCHAR, NQCHAR or
// a URI-reference, none holds a control character) plus a length cap, so a NUL or a megabyte never
// reaches a lookup (S38). The longest legitimate values are access tokens presented for
// revocation (a JWT of about 1 KB) and redirect URIs (registered at most 2000 characters).

/** Longest value of one OAuth parameter. */
export const MAX_PARAMETER_LENGTH = 4096;

/**
 * What is wrong with parameter `name` = `value`, as a sentence for an error_description (it
 * names the parameter, never echoes the value); undefined when nothing is.
 */
export function parameterProblem(name: string, value: string): string | undefined {
  // A bad name is not echoed either: it is what cannot be shown.
  const nameProblem = textProblem(name, 'single-line');
  if (nameProblem) return `a parameter name ${nameProblem}`;
  if (name.length > 100) return 'a parameter name is longer than 100 characters';
  if (value.length > MAX_PARAMETER_LENGTH)
    return `${name} must be at most ${MAX_PARAMETER_LENGTH} characters`;
  const problem = textProblem(value, 'single-line');
  return problem ? `${name} ${problem}` : undefined;
}
