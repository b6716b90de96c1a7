import type { Child } from 'hono/jsx';
import type { DashboardContext, WorkspaceContext } from './context.ts';
import { CsrfField, DashboardPage, type DashboardSection } from './shell.tsx';

// The dashboard kit: the few pieces of markup the dashboard's pages repeat — a workspace page in
// the shell, the "are you sure" page, dialog and menu of a destructive action, a POST form with its
// CSRF field, a list table with its empty state, and the labelled e-mail and password inputs. Each
// renders exactly the markup the pages wrote by hand (tests and /assets/dashboard.js look at it).

/** The path of a workspace's pages: `/w/<id>`. */
export function workspacePath(workspaceId: string): string {
  return `/w/${encodeURIComponent(workspaceId)}`;
}

/** A page of a workspace in the dashboard shell: its user, CSRF token, workspaces and navigation. */
export function WorkspacePage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  title: string;
  section?: DashboardSection | undefined;
  flash?: string | undefined;
  scripts?: string[] | undefined;
  children?: Child;
}) {
  const { ctx } = props;
  return (
    <DashboardPage
      title={props.title}
      user={ctx.user}
      csrf={ctx.csrf}
      workspaces={ctx.workspaces}
      current={props.ws.current}
      section={props.section}
      flash={props.flash}
      scripts={props.scripts}
    >
      {props.children}
    </DashboardPage>
  );
}

/**
 * A POST form carrying the CSRF token (S28) and one submit button; `children` are the fields and
 * text before the button (a confirmation input, a hidden value, a sentence).
 */
export function PostForm(props: {
  action: string;
  csrf: string;
  /** The button's text (may hold markup, e.g. a screen-reader-only name). */
  button: Child;
  /** The button's class; `danger` unless told. */
  buttonClass?: string | undefined;
  buttonLabel?: string | undefined;
  disabled?: boolean | undefined;
  class?: string | undefined;
  children?: Child;
}) {
  return (
    <form method="post" action={props.action} class={props.class}>
      <CsrfField csrf={props.csrf} />
      {props.children}
      <button
        type="submit"
        class={props.buttonClass ?? 'danger'}
        aria-label={props.buttonLabel}
        disabled={props.disabled}
      >
        {props.button}
      </button>
    </form>
  );
}

/** The form of a destructive action: CSRF field and a danger button (`children` is its text). */
export function DeleteForm(props: { action: string; csrf: string; children: Child }) {
  return <PostForm action={props.action} csrf={props.csrf} button={props.children} />;
}

/**
 * The "are you sure" of a delete, as a page card (`cancel` is where Cancel leads) or, with
 * `dialog`, as the <dialog> dashboard.js opens from a `data-confirm` link (Cancel closes it).
 * `children` says what deleting does.
 */
export function ConfirmDelete(props: {
  heading: Child;
  action: string;
  csrf: string;
  /** The delete button's text. */
  button: Child;
  cancel?: string | undefined;
  /** The dialog's id (the `data-confirm` value of the link that opens it). */
  dialog?: string | undefined;
  children?: Child;
}) {
  const form = (
    <DeleteForm action={props.action} csrf={props.csrf}>
      {props.button}
    </DeleteForm>
  );
  if (props.dialog) {
    return (
      <dialog id={props.dialog} aria-labelledby={`${props.dialog}-title`}>
        <h2 id={`${props.dialog}-title`}>{props.heading}</h2>
        <p>{props.children}</p>
        <div class="actions">
          <button type="button" class="secondary" data-close="" autofocus>
            Cancel
          </button>
          {form}
        </div>
      </dialog>
    );
  }
  return (
    <div class="card narrow">
      <h1>{props.heading}</h1>
      <p>{props.children}</p>
      <div class="actions">
        <a href={props.cancel}>Cancel</a>
        {form}
      </div>
    </div>
  );
}

/** A workspace page that asks "are you sure" before a delete: `<ConfirmDelete>` in `<WorkspacePage>`. */
export function ConfirmDeletePage(props: {
  ctx: DashboardContext;
  ws: WorkspaceContext;
  title: string;
  section?: DashboardSection | undefined;
  heading: Child;
  action: string;
  button: Child;
  cancel: string;
  children?: Child;
}) {
  return (
    <WorkspacePage ctx={props.ctx} ws={props.ws} title={props.title} section={props.section}>
      <ConfirmDelete
        heading={props.heading}
        action={props.action}
        csrf={props.ctx.csrf}
        button={props.button}
        cancel={props.cancel}
      >
        {props.children}
      </ConfirmDelete>
    </WorkspacePage>
  );
}

/**
 * A menu that opens on click (no JavaScript): `summary` is its button, or with `actionsFor` a ⋯
 * named "Actions for …" for screen readers; `children` is its body (a sentence and a form).
 */
export function ActionMenu(props: {
  summary?: Child;
  actionsFor?: string | undefined;
  open?: boolean | undefined;
  children?: Child;
}) {
  return (
    <details class="menu" open={props.open ? true : undefined}>
      <summary>
        {props.actionsFor === undefined ? (
          props.summary
        ) : (
          <>
            <span aria-hidden="true">⋯</span>
            <span class="sr-only">Actions for {props.actionsFor}</span>
          </>
        )}
      </summary>
      <div class="menu-body">{props.children}</div>
    </details>
  );
}

/** The text input a person types a word or name into to confirm a destructive action (`confirm`). */
export function ConfirmField(props: { id: string; label: Child }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="text" name="confirm" required autocomplete="off" />
    </>
  );
}

/**
 * A value to copy (a link, the MCP server URL): a readonly input with a label for screen readers,
 * and a Copy button that dashboard.js reveals and wires up.
 */
export function CopyField(props: { id: string; label: string; value: string; small?: boolean | undefined }) {
  return (
    <div class="copy">
      <label for={props.id} class="sr-only">
        {props.label}
      </label>
      <input id={props.id} type="text" readonly value={props.value} />
      <button
        type="button"
        class={props.small ? 'secondary small' : 'secondary'}
        data-copy={props.value}
        hidden
      >
        Copy
      </button>
    </div>
  );
}

/** A column heading of a list table; `{ hidden: 'Actions' }` is read by screen readers only. */
export type ListColumn = string | { hidden: string } | null | false;

/**
 * A list table (`table.list` in a scrolling wrapper): the column headings, then one row per item
 * (`row` renders the whole <tr>). With `empty` set, no items render `empty` instead of the table.
 */
export function ListTable<T>(props: {
  columns: readonly ListColumn[];
  items: readonly T[];
  row: (item: T) => Child;
  caption?: string | undefined;
  empty?: Child;
}) {
  if (props.items.length === 0 && props.empty !== undefined) return <>{props.empty}</>;
  return (
    <div class="table-wrap">
      <table class="list">
        {props.caption ? <caption class="sr-only">{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.columns.map((column) =>
              !column ? null : typeof column === 'string' ? (
                <th scope="col">{column}</th>
              ) : (
                <th scope="col">
                  <span class="sr-only">{column.hidden}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{props.items.map((item) => props.row(item))}</tbody>
      </table>
    </div>
  );
}

interface FieldProps {
  id: string;
  label: Child;
  /** The field's name; `email` / `password` unless told. */
  name?: string | undefined;
  /** Required unless told otherwise. */
  required?: boolean | undefined;
  maxlength?: number | undefined;
  autocomplete?: string | undefined;
}

/** A labelled e-mail input (at most 254 characters, required unless told otherwise). */
export function EmailField(props: FieldProps & { value?: string | undefined }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="email"
        name={props.name ?? 'email'}
        required={props.required ?? true}
        maxlength={props.maxlength ?? 254}
        autocomplete={props.autocomplete}
        value={props.value ?? ''}
      />
    </>
  );
}

/** A labelled password input, never pre-filled (at most 256 characters, required unless told otherwise). */
export function PasswordField(props: FieldProps & { minlength?: number | undefined }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        name={props.name ?? 'password'}
        required={props.required ?? true}
        minlength={props.minlength}
        maxlength={props.maxlength ?? 256}
        autocomplete={props.autocomplete}
      />
    </>
  );
}
