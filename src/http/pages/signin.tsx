import type { User } from '../../domain/types.ts';
import { Page } from '../views/layout.tsx';
import { CredentialsForm, EmailInput, PasswordInput, withReturnTo } from './credentials-form.tsx';

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

/** The sign-in page. */
export function SignInPage(props: SignInPageProps) {
  return (
    <Page title="Sign in" user={props.user} csrf={props.csrf}>
      <div class="card">
        <h1>Sign in to Userplane</h1>
        {props.user ? (
          <p class="muted">{`You are signed in as ${props.user.email}. Signing in again replaces that session.`}</p>
        ) : null}
        <CredentialsForm action="/signin" csrf={props.csrf} returnTo={props.returnTo} error={props.error}>
          <EmailInput autocomplete="username" value={props.email} />
          <PasswordInput autocomplete="current-password" />
          <button type="submit" class="full">
            Sign in
          </button>
        </CredentialsForm>
        {props.signupEnabled ? (
          <p class="muted">
            No account yet? <a href={withReturnTo('/signup', props.returnTo)}>Create one</a>
          </p>
        ) : null}
      </div>
    </Page>
  );
}
