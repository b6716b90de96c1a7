import { Page } from '../views/layout.tsx';

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
  const signInHref =
    props.returnTo === '/' ? '/signin' : `/signin?return_to=${encodeURIComponent(props.returnTo)}`;
  return (
    <Page title="Create an account">
      <div class="card">
        <h1>Create your Userplane account</h1>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/signup">
          <input type="hidden" name="csrf" value={props.csrf} />
          <input type="hidden" name="return_to" value={props.returnTo} />
          <label for="name">Name (optional)</label>
          <input
            id="name"
            name="name"
            type="text"
            autocomplete="name"
            maxlength={100}
            value={props.name ?? ''}
          />
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            required
            maxlength={254}
            value={props.email ?? ''}
          />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={8}
            maxlength={256}
            aria-describedby="password-hint"
          />
          <p class="hint" id="password-hint">
            At least 8 characters.
          </p>
          <button type="submit" class="full">
            Create account
          </button>
        </form>
        <p class="muted">
          Already have an account? <a href={signInHref}>Sign in</a>
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
