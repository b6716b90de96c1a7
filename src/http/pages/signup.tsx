import { Page } from '../views/layout.tsx';
import { CredentialsForm, EmailInput, PasswordInput, withReturnTo } from './credentials-form.tsx';

// The sign-up form: labelled `email`, `password`, optional `name`, hidden `csrf` and `return_to`.

export interface SignUpPageProps {
  csrf: string;
  returnTo: string;
  email?: string | undefined;
  name?: string | undefined;
  error?: string | undefined;
}

/** The sign-up page. */
export function SignUpPage(props: SignUpPageProps) {
  return (
    <Page title="Create an account">
      <div class="card">
        <h1>Create your Userplane account</h1>
        <CredentialsForm action="/signup" csrf={props.csrf} returnTo={props.returnTo} error={props.error}>
          <label for="name">Name (optional)</label>
          <input
            id="name"
            name="name"
            type="text"
            autocomplete="name"
            maxlength={100}
            value={props.name ?? ''}
          />
          <EmailInput autocomplete="email" value={props.email} />
          <PasswordInput autocomplete="new-password" minlength={8} describedBy="password-hint" />
          <p class="hint" id="password-hint">
            At least 8 characters.
          </p>
          <button type="submit" class="full">
            Create account
          </button>
        </CredentialsForm>
        <p class="muted">
          Already have an account? <a href={withReturnTo('/signin', props.returnTo)}>Sign in</a>
        </p>
      </div>
    </Page>
  );
}

/** The page shown when open sign-up is turned off (SIGNUP_ENABLED=false). */
export function SignUpClosedPage() {
  return (
    <Page title="Sign-up is closed">
      <div class="card">
        <h1>Sign-up is closed</h1>
        <p>New accounts on this server are created by invitation. Ask an administrator to invite you.</p>
        <p class="muted">
          <a href="/signin">Sign in</a> if you already have an account.
        </p>
      </div>
    </Page>
  );
}
