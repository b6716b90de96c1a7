import { Hono } from 'hono';
import { type AuditLogEntry, listWorkspaceAuditLog } from '../../services/audit-log.ts';
import type { Deps } from '../../services/deps.ts';
import type { DashboardChains } from './chains.ts';
import { loadDashboardContext, requireWorkspace } from './context.ts';
import { ListTable, WorkspacePage } from './kit.tsx';
import { Pager, pageParam, renderDashboard, Time } from './shell.tsx';

// The audit log (issue 5, owners and admins): the authorization server's events for the
// workspace's members — sign-ins, consents, token issues, refresh-token reuse, code replay, grant
// revocations, signing-key rotations — plus membership and role changes, newest first.

const PER_PAGE = 50;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** "3 deleted recordings were", "1 deleted recording was". */
function count(value: unknown, noun: string): string {
  const n = typeof value === 'number' ? value : 0;
  return n === 1 ? `1 ${noun} was` : `${n} ${noun}s were`;
}

/** "Slack", "Intercom", "Zendesk" from an audit detail (anything else: "an integration"). */
function integrationName(value: unknown): string {
  const names: Record<string, string> = { slack: 'Slack', intercom: 'Intercom', zendesk: 'Zendesk' };
  return typeof value === 'string' && Object.hasOwn(names, value) ? names[value]! : 'an integration';
}

/** One sentence for an event; unknown types fall back to their name. */
export function describeAuditEvent(event: AuditLogEntry): string {
  const who = event.userName ?? event.userEmail ?? 'Someone';
  const app = event.clientName ?? 'an application';
  const d = event.detail;
  const target = text(d.email) ?? 'a member';
  switch (event.type) {
    case 'user.signed_in':
      return `${who} signed in`;
    case 'user.signin_failed':
      return `A sign-in as ${who} failed`;
    case 'authorization.requested':
      return `${app} asked ${who} for access`;
    case 'consent.granted':
      return `${who} allowed ${app}`;
    case 'consent.denied':
      return `${who} denied ${app}`;
    case 'token.issued':
      return `${app} received tokens for ${who}`;
    case 'token.refreshed':
      return `${app} refreshed its tokens for ${who}`;
    case 'refresh.reuse_detected':
      return `A used refresh token of ${app} was presented again: its access for ${who} was revoked`;
    case 'code.replay_detected':
      return `An authorization code of ${app} was replayed: its access for ${who} was revoked`;
    case 'grant.revoked':
      return `${who} revoked ${app}'s access`;
    case 'token.revoked':
      return `${app}'s access for ${who} was revoked through the revocation endpoint`;
    case 'signing_key.rotated':
      return 'The server rotated its token signing key';
    case 'member.added':
      return `${target} joined as ${text(d.role) ?? 'member'}`;
    case 'member.role_changed':
      return `${who} changed ${target}'s role from ${text(d.from) ?? '?'} to ${text(d.to) ?? '?'}`;
    case 'member.removed':
      return `${who} removed ${target}`;
    case 'integration.connected':
      return `${who} ${d.replaced === true ? 'replaced the credentials of' : 'connected'} ${integrationName(d.provider)}`;
    case 'integration.disconnected':
      return `${who} disconnected ${integrationName(d.provider)}`;
    case 'webhook.created':
      return `${who} added a webhook endpoint on ${text(d.host) ?? 'a host'}`;
    case 'webhook.deleted':
      return `${who} deleted the webhook endpoint on ${text(d.host) ?? 'a host'}`;
    case 'webhook.secret_rotated':
      return `${who} rotated the signing secret of the webhook endpoint on ${text(d.host) ?? 'a host'}`;
    case 'retention.expired_files_removed':
      return `Retention: the video and logs of ${count(d.recordings, 'expired recording')} deleted`;
    case 'retention.recordings_purged':
      return d.reason === 'project'
        ? `Retention: ${count(d.recordings, 'recording')} removed for good with their deleted project`
        : `Retention: ${count(d.recordings, 'deleted recording')} removed for good`;
    case 'retention.links_purged':
      return d.reason === 'project'
        ? `Retention: ${count(d.links, 'link')} removed for good with their deleted project`
        : `Retention: ${count(d.links, 'deleted link')} removed for good`;
    case 'retention.project_purged':
      return 'Retention: a deleted project was removed for good';
    default:
      return event.type;
  }
}

/** The audit log page; mounted by createSettingsRoutes. */
export function createAuditRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  app.get('/w/:ws/audit', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const ws = await requireWorkspace(c, deps, c.req.param('ws'));
    // Members are refused by the service (403 naming the role); the shell does not link them here.
    const log = await listWorkspaceAuditLog(deps, ws.access, {
      page: pageParam(c.req.query('page')),
      perPage: PER_PAGE,
    });
    const base = `/w/${encodeURIComponent(ws.current.id)}/audit`;
    return renderDashboard(
      c,
      <WorkspacePage ctx={ctx} ws={ws} title="Audit log" section="audit">
        <h1>Audit log</h1>
        <p class="muted">
          Sign-ins, AI application access and membership changes of this workspace's members, newest first.
        </p>
        <ListTable
          columns={['When', 'Event', 'Type', 'From']}
          items={log.items}
          empty={
            <p>
              Nothing recorded yet. Events appear here when members sign in, connect applications or join.
            </p>
          }
          row={(event) => (
            <tr>
              <td data-label="When">
                <Time ms={event.createdAt} />
              </td>
              <td data-label="Event">{describeAuditEvent(event)}</td>
              <td data-label="Type">
                <code>{event.type}</code>
              </td>
              <td data-label="From" title={event.userAgent ?? undefined}>
                {event.ip ?? '—'}
              </td>
            </tr>
          )}
        />
        <Pager page={log.page} perPage={log.perPage} total={log.total} hrefFor={(p) => `${base}?page=${p}`} />
      </WorkspacePage>,
    );
  });

  return app;
}
