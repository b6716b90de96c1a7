import { type Context, Hono } from 'hono';
import type { ApiKey } from '../../domain/types.ts';
import {
  API_KEY_EXPIRY_OPTIONS,
  type ApiKeyExpiry,
  apiKeyStatus,
  createApiKey,
  deleteApiKey,
  listApiKeys,
  MAX_LIVE_API_KEYS,
  maskApiKey,
  rotateApiKey,
} from '../../services/api-keys.ts';
import type { Deps } from '../../services/deps.ts';
import { dashboardChains } from './chains.ts';
import { createConnectionsRoutes } from './connections.tsx';
import { type DashboardContext, loadDashboardContext } from './context.ts';
import { ActionMenu, ConfirmField, ListTable, PostForm } from './kit.tsx';
import { createNotificationsRoutes } from './notifications.tsx';
import {
  AccountPage,
  attempt,
  FormError,
  flashFrom,
  formFields,
  OneTimeSecret,
  redirectWithFlash,
} from './settings-common.tsx';
import { renderDashboard, Time } from './shell.tsx';

// Account Settings (PRODUCT.md §6): Profile; Notifications (notifications.tsx); Developers — the
// user's API keys (masked, shown once at creation and rotation, revoked by typing REVOKE);
// Connections (connections.tsx).

/** What a person must type to revoke an API key. */
export const REVOKE_WORD = 'REVOKE';

const KEY_FLASH = { revoked: 'API key revoked: it no longer works' };

const EXPIRY_LABELS: Record<ApiKeyExpiry, string> = {
  '7d': '7 days',
  '30d': '30 days',
  '60d': '60 days',
  '90d': '90 days',
  never: 'No expiry',
};

const STATUS_LABELS = { active: 'Active', disabled: 'Disabled', expired: 'Expired' } as const;

interface KeysExtra {
  created?: { secret: string; name: string | null; rotated: boolean } | undefined;
  error?: string | undefined;
  errorFor?: string | undefined;
  draft?: { name: string; expiry: string } | undefined;
}

function KeysBody(props: {
  ctx: DashboardContext;
  keys: ApiKey[];
  now: number;
  publicUrl: string;
  extra: KeysExtra;
}) {
  const { ctx, keys, extra } = props;
  const live = keys.filter((k) => apiKeyStatus(k, props.now) !== 'expired').length;
  return (
    <>
      {extra.created ? (
        <OneTimeSecret
          id="new-api-key"
          label={`${extra.created.rotated ? 'Your rotated API key' : 'Your new API key'}${extra.created.name ? ` “${extra.created.name}”` : ''}`}
          value={extra.created.secret}
          note="Copy it now and keep it somewhere safe: it will not be shown again. We store only a hash of it."
        />
      ) : null}
      <section class="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading">API keys</h2>
        <p class="muted">
          Programs use the <a href="/api/docs">REST API</a> with an API key in{' '}
          <code>Authorization: Bearer uspl_…</code>. A key acts as you, with your role in each workspace.
        </p>
        <ListTable
          columns={['Name', 'API Key', 'Expires', 'Status', 'Actions']}
          items={keys}
          empty={<p>You have no API keys. Create one below to use the REST API.</p>}
          row={(key) => {
            const status = apiKeyStatus(key, props.now);
            const label = key.name ?? 'Unnamed key';
            const path = `/account/developers/${encodeURIComponent(key.id)}`;
            return (
              <tr data-key={key.id}>
                <td data-label="Name">{label}</td>
                <td data-label="API Key">
                  <code>{maskApiKey(key)}</code>
                </td>
                <td data-label="Expires">
                  {key.expiresAt === null ? 'Never' : <Time ms={key.expiresAt} dateOnly />}
                </td>
                <td data-label="Status">
                  <span class={`badge status-${status}`}>{STATUS_LABELS[status]}</span>
                </td>
                <td>
                  <ActionMenu actionsFor={label} open={extra.errorFor === key.id}>
                    <PostForm
                      action={`${path}/rotate`}
                      csrf={ctx.csrf}
                      buttonClass="secondary"
                      button={
                        <>
                          Rotate<span class="sr-only"> {label}</span>
                        </>
                      }
                    >
                      <p>Rotating replaces the key: the current one stops working at once.</p>
                    </PostForm>
                    <PostForm
                      action={`${path}/revoke`}
                      csrf={ctx.csrf}
                      button={
                        <>
                          Revoke<span class="sr-only"> {label}</span>
                        </>
                      }
                    >
                      <ConfirmField
                        id={`revoke-${key.id}`}
                        label={`Type ${REVOKE_WORD} to revoke this key`}
                      />
                      {extra.errorFor === key.id ? <FormError error={extra.error} /> : null}
                    </PostForm>
                  </ActionMenu>
                </td>
              </tr>
            );
          }}
        />
      </section>
      <section class="card" aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">Create an API key</h2>
        {live >= MAX_LIVE_API_KEYS ? (
          <p>{`You have ${MAX_LIVE_API_KEYS} live keys, the most allowed. Revoke one to create another.`}</p>
        ) : (
          <form method="post" action="/account/developers">
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <label for="key-name">Name (optional)</label>
            <input
              id="key-name"
              type="text"
              name="name"
              maxlength={100}
              placeholder="CI export"
              value={extra.draft?.name ?? ''}
            />
            <label for="key-expiry">Expires after</label>
            <select id="key-expiry" name="expiry">
              {API_KEY_EXPIRY_OPTIONS.map((option) => (
                <option value={option} selected={(extra.draft?.expiry ?? '90d') === option}>
                  {EXPIRY_LABELS[option]}
                </option>
              ))}
            </select>
            {extra.errorFor === 'new' ? <FormError error={extra.error} /> : null}
            <button type="submit">Create API key</button>
          </form>
        )}
      </section>
    </>
  );
}

/** Account Settings (Profile, Developers, Connections); mount at '/'. */
export function createAccountRoutes(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'settings');

  app.get('/account', ...chains.page, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    return renderDashboard(
      c,
      <AccountPage ctx={ctx} title="Profile" tab="profile">
        <section class="card" aria-labelledby="profile-heading">
          <h2 id="profile-heading">Profile</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{ctx.user.name}</dd>
            <dt>Email</dt>
            <dd>{ctx.user.email}</dd>
            <dt>Member since</dt>
            <dd>
              <Time ms={ctx.user.createdAt} dateOnly />
            </dd>
            <dt>Workspaces</dt>
            <dd>
              {ctx.workspaces.length === 0 ? (
                'None yet: ask a workspace owner or admin for an invitation.'
              ) : (
                <ul>
                  {ctx.workspaces.map((ws) => (
                    <li>
                      <a href={`/w/${encodeURIComponent(ws.id)}/recordings`}>{ws.name}</a> ({ws.role})
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
        </section>
      </AccountPage>,
    );
  });

  const developers = async (c: Context, extra: KeysExtra = {}, status: 200 | 201 | 400 | 403 = 200) => {
    const ctx = await loadDashboardContext(c, deps);
    const keys = await listApiKeys(deps, ctx.user.id);
    return renderDashboard(
      c,
      <AccountPage ctx={ctx} title="Developers" tab="developers" flash={flashFrom(c, KEY_FLASH)}>
        <KeysBody
          ctx={ctx}
          keys={keys}
          now={deps.clock.now()}
          publicUrl={deps.config.publicUrl}
          extra={extra}
        />
      </AccountPage>,
      status,
    );
  };

  app.get('/account/developers', ...chains.page, async (c) => developers(c));

  app.post('/account/developers', ...chains.form, async (c) => {
    const user = c.get('user');
    if (!user) return developers(c); // redirects to sign-in
    const field = await formFields(c);
    const name = field('name', 200);
    const expiry = field('expiry', 10);
    if (!(API_KEY_EXPIRY_OPTIONS as readonly string[]).includes(expiry)) {
      return developers(
        c,
        { error: 'Choose when the key expires.', errorFor: 'new', draft: { name, expiry: '90d' } },
        400,
      );
    }
    const result = await attempt(() =>
      createApiKey(deps, { userId: user.id, name, expiry: expiry as ApiKeyExpiry }),
    );
    if (!result.ok)
      return developers(
        c,
        { error: result.error, errorFor: 'new', draft: { name, expiry } },
        result.status === 403 ? 403 : 400,
      );
    // The secret is in this response only (no-store); the database keeps its hash.
    return developers(
      c,
      { created: { secret: result.value.secret, name: result.value.key.name, rotated: false } },
      201,
    );
  });

  app.post('/account/developers/:id/rotate', ...chains.form, async (c) => {
    const user = c.get('user');
    if (!user) return developers(c);
    const rotated = await rotateApiKey(deps, user.id, c.req.param('id')); // someone else's: 404 page
    return developers(c, { created: { secret: rotated.secret, name: rotated.key.name, rotated: true } }, 201);
  });

  app.post('/account/developers/:id/revoke', ...chains.form, async (c) => {
    const user = c.get('user');
    if (!user) return developers(c);
    const field = await formFields(c);
    const id = c.req.param('id');
    if (field('confirm', 20) !== REVOKE_WORD) {
      return developers(
        c,
        { error: `Type ${REVOKE_WORD} in capitals to revoke the key.`, errorFor: id },
        400,
      );
    }
    await deleteApiKey(deps, user.id, id);
    return redirectWithFlash(c, '/account/developers', 'revoked');
  });

  app.route('/', createConnectionsRoutes(deps, chains));
  app.route('/', createNotificationsRoutes(deps, chains));
  return app;
}
