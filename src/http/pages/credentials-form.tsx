import type { Child } from 'hono/jsx';

// The parts the sign-in and sign-up forms share. The inputs keep their attributes in this order
// (id, name, type, ...): tests and tools read the markup.

/** `path`, carrying return_to unless it is the home page. */
export function withReturnTo(path: string, returnTo: string): string {
  return returnTo === '/' ? path : `${path}?return_to=${encodeURIComponent(returnTo)}`;
}

/** The form's error line (if any), then the POST form with its hidden `csrf` and `return_to`. */
export function CredentialsForm(props: {
  action: string;
  csrf: string;
  returnTo: string;
  error?: string | undefined;
  children: Child;
}) {
  return (
    <>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action={props.action}>
        <input type="hidden" name="csrf" value={props.csrf} />
        <input type="hidden" name="return_to" value={props.returnTo} />
        {props.children}
      </form>
    </>
  );
}

/** The labelled `email` input (at most 254 characters, required). */
export function EmailInput(props: { autocomplete: 'username' | 'email'; value?: string | undefined }) {
  return (
    <>
      <label for="email">Email</label>
      <input
        id="email"
        name="email"
        type="email"
        autocomplete={props.autocomplete}
        required
        maxlength={254}
        value={props.value ?? ''}
      />
    </>
  );
}

/** The labelled `password` input (at most 256 characters, required), never pre-filled. */
export function PasswordInput(props: {
  autocomplete: 'current-password' | 'new-password';
  minlength?: number | undefined;
  describedBy?: string | undefined;
}) {
  return (
    <>
      <label for="password">Password</label>
      <input
        id="password"
        name="password"
        type="password"
        autocomplete={props.autocomplete}
        required
        minlength={props.minlength}
        maxlength={256}
        aria-describedby={props.describedBy}
      />
    </>
  );
}
