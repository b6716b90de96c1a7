import { type Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { ApiError } from '../../domain/errors.ts';
import { can, canManageMember } from '../../domain/permissions.ts';
import type { Member } from '../../domain/types.ts';
import type { Deps } from '../../services/deps.ts';
import {
  acceptInvitation,
  type Invitation,
  inviteMember,
  listInvitations,
  previewInvitation,
  revokeInvitation,
} from '../../services/invitations.ts';
import { changeMemberRole, listMembers, removeMember } from '../../services/members.ts';
import { transferOwnership } from '../../services/workspace-admin.ts';
import { csrfToken } from '../middleware/csrf.ts';
import { Page, renderPage } from '../views/layout.tsx';
import type { DashboardChains } from './chains.ts';
import { ActionMenu, DeleteForm, EmailField, ListTable, PostForm } from './kit.tsx';
import {
  attempt,
  FormError,
  formFields,
  loadSettings,
  OneTimeSecret,
  redirectWithFlash,
  renderSettings,
  type SettingsFrame,
  type SettingsStatus,
  settingsPath,
} from './settings-common.tsx';
import { Pager, pageParam, Time } from './shell.tsx';

// Workspace Settings > Team (PRODUCT.md §1, §2, §6): members with their role; admins and owners
// invite by email and role (the invitation link is shown once, only its hash is stored), revoke
// pending invitations, change roles and remove members (never the owner); the owner transfers
// ownership. The invitation page /invite/:token lets the invited person sign in or up and accept.

const MEMBERS_PER_PAGE = 50;

const TEAM_FLASH = {
  'role-changed': 'Role changed',
  removed: 'Member removed',
  revoked: 'Invitation revoked',
  transferred: 'Ownership transferred: you are now an admin of this workspace',
};

interface TeamExtra {
  error?: string | undefined;
  errorFor?: string | undefined;
  /** `emailed`: SMTP_URL is set, so the invitation went to the outbox as an e-mail too. */
  invited?: { email: string; role: string; url: string; emailed: boolean } | undefined;
  draft?: { email: string; role: string } | undefined;
}

function RoleForm(props: { base: string; csrf: string; member: Member }) {
  const { member } = props;
  const id = `role-${member.id}`;
  return (
    <form method="post" action={`${props.base}/members/${encodeURIComponent(member.id)}/role`} class="inline">
      <input type="hidden" name="csrf" value={props.csrf} />
      <label for={id} class="sr-only">
        Role of {member.name}
      </label>
      <select id={id} name="role">
        <option value="admin" selected={member.role === 'admin'}>
          admin
        </option>
        <option value="member" selected={member.role === 'member'}>
          member
        </option>
      </select>
      <button type="submit" class="secondary small">
        Change role<span class="sr-only"> of {member.name}</span>
      </button>
    </form>
  );
}

function TeamBody(props: {
  frame: SettingsFrame;
  members: Member[];
  page: number;
  total: number;
  invitations: Invitation[];
  extra: TeamExtra;
}) {
  const { ctx, ws } = props.frame;
  const role = ws.access.member.role;
  const manage = can(role, 'member.manage');
  const owner = can(role, 'workspace.transfer');
  const base = settingsPath(ws.current.id, 'team');
  const { extra } = props;
  const others = props.members.filter((m) => m.id !== ws.access.member.id);
  return (
    <>
      {extra.invited ? (
        <OneTimeSecret
          id="invitation-link"
          label={`Invitation link for ${extra.invited.email} (${extra.invited.role})`}
          value={extra.invited.url}
          note={
            extra.invited.emailed
              ? `An e-mail with this link is on its way to ${extra.invited.email}. You can also send it yourself: it is shown only now, works once, and expires in 7 days.`
              : 'Send this link to them yourself: it is shown only now, works once, and expires in 7 days.'
          }
        />
      ) : null}
      <section class="card" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <ListTable
          columns={['Name', 'Email', 'Role', 'Joined', manage && 'Actions']}
          items={props.members}
          row={(member) => {
            const manageable = canManageMember(role, member.role);
            return (
              <tr>
                <td data-label="Name">
                  {member.name}
                  {member.id === ws.access.member.id ? <span class="muted"> (you)</span> : null}
                </td>
                <td data-label="Email">{member.email}</td>
                <td data-label="Role">
                  {manageable ? (
                    <RoleForm base={base} csrf={ctx.csrf} member={member} />
                  ) : (
                    <span class="badge">{member.role}</span>
                  )}
                  {props.extra.errorFor === member.id ? <FormError error={extra.error} /> : null}
                </td>
                <td data-label="Joined">
                  <Time ms={member.joinedAt} dateOnly />
                </td>
                {manage ? (
                  <td>
                    {manageable ? (
                      <ActionMenu
                        summary={
                          <>
                            Remove<span class="sr-only"> {member.name}</span>…
                          </>
                        }
                      >
                        <p>{`${member.name} loses access to this workspace at once.`}</p>
                        <DeleteForm
                          action={`${base}/members/${encodeURIComponent(member.id)}/remove`}
                          csrf={ctx.csrf}
                        >
                          Remove {member.name}
                        </DeleteForm>
                      </ActionMenu>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          }}
        />
        <Pager
          page={props.page}
          perPage={MEMBERS_PER_PAGE}
          total={props.total}
          hrefFor={(p) => `${base}?page=${p}`}
        />
        {manage ? null : (
          <p class="muted">Only owners and admins can invite, remove members or change roles.</p>
        )}
      </section>

      {manage ? (
        <section class="card" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite someone</h2>
          <form method="post" action={`${base}/invite`}>
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <EmailField id="invite-email" label="Email" value={extra.draft?.email} />
            <label for="invite-role">Role</label>
            <select id="invite-role" name="role">
              <option value="member" selected={extra.draft?.role !== 'admin'}>
                member: reads everything, creates links, deletes their own
              </option>
              <option value="admin" selected={extra.draft?.role === 'admin'}>
                admin: also manages projects, domains and the team
              </option>
            </select>
            {extra.errorFor === 'invite' ? <FormError error={extra.error} /> : null}
            <button type="submit">Create invitation link</button>
          </form>
        </section>
      ) : null}

      {manage ? (
        <section class="card" aria-labelledby="pending-heading">
          <h2 id="pending-heading">Pending invitations</h2>
          <ListTable
            columns={['Email', 'Role', 'Expires', 'Actions']}
            items={props.invitations}
            empty={
              <p class="muted">
                No pending invitations. Invite someone above; their link appears once, to copy.
              </p>
            }
            row={(invitation) => (
              <tr>
                <td data-label="Email">{invitation.email}</td>
                <td data-label="Role">{invitation.role}</td>
                <td data-label="Expires">
                  <Time ms={invitation.expiresAt} />
                </td>
                <td>
                  <PostForm
                    action={`${base}/invitations/${encodeURIComponent(invitation.id)}/revoke`}
                    csrf={ctx.csrf}
                    buttonClass="secondary small"
                    button={
                      <>
                        Revoke<span class="sr-only"> the invitation for {invitation.email}</span>
                      </>
                    }
                  />
                </td>
              </tr>
            )}
          />
        </section>
      ) : null}

      {owner ? (
        <section class="card danger-zone" aria-labelledby="transfer-heading">
          <h2 id="transfer-heading">Transfer ownership</h2>
          {others.length === 0 ? (
            <p class="muted">Invite someone first: ownership can move only to another member.</p>
          ) : (
            <form method="post" action={`${base}/transfer`}>
              <input type="hidden" name="csrf" value={ctx.csrf} />
              <label for="transfer-to">New owner</label>
              <select id="transfer-to" name="member_id" required>
                {others.map((m) => (
                  <option value={m.id}>{`${m.name} (${m.email})`}</option>
                ))}
              </select>
              <div class="checkbox">
                <input id="transfer-confirm" type="checkbox" name="confirm" value="yes" required />
                <label for="transfer-confirm">
                  I understand that I will become an admin and the new owner can remove me
                </label>
              </div>
              {extra.errorFor === 'transfer' ? <FormError error={extra.error} /> : null}
              <button type="submit" class="danger">
                Transfer ownership
              </button>
            </form>
          )}
        </section>
      ) : null}
    </>
  );
}

function InvitationPage(props: {
  title: string;
  user?: { email: string } | undefined;
  csrf?: string | undefined;
  children?: Child;
}) {
  return (
    <Page title={props.title} user={props.user} csrf={props.csrf}>
      <div class="card">{props.children}</div>
    </Page>
  );
}

/** Team settings and the invitation page; mounted by createSettingsRoutes. */
export function createTeamRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  const team = async (
    c: Context,
    frame: SettingsFrame,
    extra: TeamExtra = {},
    status: SettingsStatus = 200,
  ) => {
    const page = pageParam(c.req.query('page'));
    const access = frame.ws.access;
    const [members, invitations] = await Promise.all([
      listMembers(deps, access, { page, perPage: MEMBERS_PER_PAGE }),
      can(access.member.role, 'member.manage') ? listInvitations(deps, access) : Promise.resolve([]),
    ]);
    return renderSettings(
      c,
      frame,
      { title: 'Team', tab: 'team', flashes: TEAM_FLASH },
      <TeamBody
        frame={frame}
        members={members.items}
        page={members.page}
        total={members.total}
        invitations={invitations}
        extra={extra}
      />,
      status,
    );
  };
  const teamPath = (frame: SettingsFrame) => settingsPath(frame.ws.current.id, 'team');

  app.get('/w/:ws/settings/team', ...chains.page, async (c) => team(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/team/invite', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    const email = field('email', 300);
    const role = field('role', 20);
    const result = await attempt(() => inviteMember(deps, frame.ws.access, { email, role }));
    if (!result.ok)
      return team(
        c,
        frame,
        { error: result.error, errorFor: 'invite', draft: { email, role } },
        result.status,
      );
    const { invitation, token } = result.value;
    // Shown in this response only: the page is no-store and the token is never stored in the clear.
    return team(
      c,
      frame,
      {
        invited: {
          email: invitation.email,
          role: invitation.role,
          url: `${deps.config.publicUrl}/invite/${token}`,
          emailed: deps.mailer !== null,
        },
      },
      200,
    );
  });

  app.post('/w/:ws/settings/team/invitations/:id/revoke', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    await revokeInvitation(deps, frame.ws.access, c.req.param('id'));
    return redirectWithFlash(c, teamPath(frame), 'revoked');
  });

  app.post('/w/:ws/settings/team/members/:id/role', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    const id = c.req.param('id');
    const result = await attempt(() => changeMemberRole(deps, frame.ws.access, id, field('role', 20)));
    if (!result.ok) return team(c, frame, { error: result.error, errorFor: id }, result.status);
    return redirectWithFlash(c, teamPath(frame), 'role-changed');
  });

  app.post('/w/:ws/settings/team/members/:id/remove', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    await removeMember(deps, frame.ws.access, c.req.param('id'));
    return redirectWithFlash(c, teamPath(frame), 'removed');
  });

  app.post('/w/:ws/settings/team/transfer', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    if (!can(frame.ws.access.member.role, 'workspace.transfer')) {
      await transferOwnership(deps, frame.ws.access, ''); // throws 403 FORBIDDEN naming the role
    }
    if (field('confirm', 10) !== 'yes') {
      return team(c, frame, { error: 'Tick the box to confirm the transfer.', errorFor: 'transfer' }, 400);
    }
    const result = await attempt(() => transferOwnership(deps, frame.ws.access, field('member_id', 100)));
    if (!result.ok) return team(c, frame, { error: result.error, errorFor: 'transfer' }, result.status);
    return redirectWithFlash(c, teamPath(frame), 'transferred');
  });

  // The invitation page. The token is in the path: Referrer-Policy no-referrer keeps it from leaking.
  app.get('/invite/:token', ...chains.page, async (c) => {
    const token = c.req.param('token');
    const user = c.get('user');
    const preview = await previewInvitation(deps, token);
    const csrf = user ? csrfToken(c) : undefined;
    if (!preview) {
      return renderPage(
        c,
        <InvitationPage title="Invitation not found" user={user} csrf={csrf}>
          <h1>This invitation is not valid</h1>
          <p>
            It was already used or revoked, or the link is incomplete. Ask the person who invited you for a
            new one.
          </p>
        </InvitationPage>,
        404,
      );
    }
    if (preview.state === 'expired') {
      return renderPage(
        c,
        <InvitationPage title="Invitation expired" user={user} csrf={csrf}>
          <h1>This invitation has expired</h1>
          <p>{`Invitations to ${preview.workspaceName} last 7 days. Ask the person who invited you for a new link.`}</p>
        </InvitationPage>,
        410,
      );
    }
    const here = `/invite/${encodeURIComponent(token)}`;
    const back = encodeURIComponent(here);
    if (!user) {
      return renderPage(
        c,
        <InvitationPage title={`Join ${preview.workspaceName}`}>
          <h1>{`You are invited to ${preview.workspaceName}`}</h1>
          <p>{`The invitation is for ${preview.email}, as ${preview.role}. Sign in with that email, or create an account with it, to accept.`}</p>
          <div class="actions">
            <a class="button secondary" href={`/signup?return_to=${back}`}>
              Create an account
            </a>
            <a class="button" href={`/signin?return_to=${back}`}>
              Sign in
            </a>
          </div>
        </InvitationPage>,
      );
    }
    const matches = user.email.toLowerCase() === preview.email.toLowerCase();
    return renderPage(
      c,
      <InvitationPage title={`Join ${preview.workspaceName}`} user={user} csrf={csrf}>
        <h1>{`Join ${preview.workspaceName}`}</h1>
        {matches ? (
          <>
            <p>{`You are invited to join ${preview.workspaceName} as ${preview.role}.`}</p>
            <form method="post" action={here}>
              <input type="hidden" name="csrf" value={csrf ?? ''} />
              <button type="submit" class="full">
                Accept and join {preview.workspaceName}
              </button>
            </form>
          </>
        ) : (
          <>
            <p class="error" role="alert">
              {`This invitation was sent to ${preview.email}, but you are signed in as ${user.email}.`}
            </p>
            <p>{`Sign out, then sign in (or create an account) with ${preview.email} and open the link again.`}</p>
            <form method="post" action="/signout">
              <input type="hidden" name="csrf" value={csrf ?? ''} />
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          </>
        )}
      </InvitationPage>,
      matches ? 200 : 403,
    );
  });

  app.post('/invite/:token', ...chains.form, async (c) => {
    const user = c.get('user');
    const token = c.req.param('token');
    if (!user) return c.redirect(`/signin?return_to=${encodeURIComponent(`/invite/${token}`)}`, 303);
    try {
      const joined = await acceptInvitation(deps, token, user.id);
      return c.redirect(`/w/${encodeURIComponent(joined.workspaceId)}/recordings`, 303);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) throw error;
      return renderPage(
        c,
        <InvitationPage title="Could not accept" user={user} csrf={csrfToken(c)}>
          <h1>The invitation could not be accepted</h1>
          <p class="error" role="alert">
            {error.message}
          </p>
        </InvitationPage>,
        error.status === 403 ? 403 : error.status === 410 ? 410 : 404,
      );
    }
  });

  return app;
}
