import type { User } from '../../domain/types.ts';
import { Page } from '../views/layout.tsx';

// The sign-in form. Contract (tests and tools rely on it): labelled inputs `email` and
// `password`, hidden `csrf` and `return_to`, POST /signin.

export interface SignInPageProps {
  csrf: string;
  returnTo: string;
  email?: string | undefined;
  error?: string | undefined;
  signupEnabled: boolean;
  user?: User | undefined;
}

function withReturnTo(path: string, returnTo: string): string {
  return returnTo === '/' ? path : `${path}?return_to=${encodeURIComponent(returnTo)}`;
}

/** The sign-in page. */
export function SignInPage(props: SignInPageProps) {
  return (
    <Page title="Sign in" user={props.user} csrf={props.csrf}>
      <div class="card">
        <h1>Sign in to Userplane</h1>
        {props.user ? (
          <p class="muted">{`You are signed in as ${props.user.email}. Signing in again replaces that session.`}</p>
        ) : null}
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/signin">
          <input type="hidden" name="csrf" value={props.csrf} />
          <input type="hidden" name="return_to" value={props.returnTo} />
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="username"
            required
            maxlength={254}
            value={props.email ?? ''}
          />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxlength={256}
          />
          <button type="submit" class="full">
            Sign in
          </button>
        </form>
        {props.signupEnabled ? (
          <p class="muted">
            No account yet? <a href={withReturnTo('/signup', props.returnTo)}>Create one</a>
          </p>
        ) : null}
      </div>
    </Page>
  );
}
