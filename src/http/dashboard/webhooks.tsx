import { type Context, Hono } from 'hono';
import type { DeliveryDetail } from '../../services/delivery-log.ts';
import type { Deps } from '../../services/deps.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listEndpointDeliveries,
  listWebhookEndpoints,
  MAX_WEBHOOK_DESCRIPTION,
  MAX_WEBHOOK_URL,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
  WEBHOOK_EVENT_TYPES,
  type WebhookEndpointView,
  type WebhookEventType,
} from '../../services/webhooks.ts';
import { requestOrigin } from '../middleware/client-ip.ts';
import { dashboardChains } from './chains.ts';
import { DeliveryTable, shortText } from './deliveries.tsx';
import { ActionMenu, DeleteForm, ListTable, PostForm } from './kit.tsx';
import {
  attempt,
  FormError,
  loadSettings,
  OneTimeSecret,
  redirectWithFlash,
  renderSettings,
  type SettingsFrame,
  type SettingsStatus,
  settingsPath,
} from './settings-common.tsx';
import { CsrfField, Time } from './shell.tsx';

// Workspace Settings > Webhooks (issue 10 §4; admins and owners — the services refuse everyone
// else, which the dashboard error handler turns into the forbidden page). Endpoints with the events
// they receive; adding one shows its signing secret once, as does rotating it; each endpoint has a
// page with its delivery log (status, attempts, response code, last error) and its actions. URLs,
// descriptions, errors and response bodies are shown as text, never as markup.

const LOG_SIZE = 50;

const FLASH = {
  deleted: 'Webhook endpoint deleted. Nothing more is sent to it.',
  saved: 'Webhook endpoint saved',
  enabled: 'Webhook endpoint enabled',
  disabled: 'Webhook endpoint disabled: nothing is sent to it until you enable it again',
  'test-queued': 'Test event queued: it appears in the delivery log below once it has been sent.',
};

/** What each event means, for the checkboxes. */
export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  'recording.ready': 'A customer sent a recording',
  'recording.deleted': 'A recording was deleted',
  'link.created': 'A recording link was created',
  'link.deleted': 'A recording link was deleted',
  'member.joined': 'Someone joined the workspace',
};

interface Draft {
  url: string;
  description: string;
  events: string[];
}

/** The form's fields; `events` may repeat (one checkbox each). */
async function readForm(c: Context): Promise<Draft & { enabled: string }> {
  const form = await c.req.parseBody({ all: true });
  const one = (name: string, max: number) => {
    const value = form[name];
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first.slice(0, max) : '';
  };
  const raw = form.events;
  const events = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .filter((v): v is string => typeof v === 'string')
    .slice(0, 20)
    .map((v) => v.slice(0, 50));
  // One character over the limit is kept so the service names the field instead of silently cutting.
  return {
    url: one('url', MAX_WEBHOOK_URL + 1),
    description: one('description', MAX_WEBHOOK_DESCRIPTION + 1),
    events,
    enabled: one('enabled', 10),
  };
}

function EventCheckboxes(props: { idPrefix: string; checked: readonly string[] }) {
  return (
    <fieldset class="events">
      <legend>Events</legend>
      {WEBHOOK_EVENT_TYPES.map((type) => {
        const id = `${props.idPrefix}-${type.replace('.', '-')}`;
        return (
          <div class="checkbox">
            <input
              id={id}
              type="checkbox"
              name="events"
              value={type}
              checked={props.checked.includes(type)}
            />
            <label for={id}>
              <code>{type}</code> — {WEBHOOK_EVENT_LABELS[type]}
            </label>
          </div>
        );
      })}
    </fieldset>
  );
}

function EndpointFields(props: { idPrefix: string; draft: Draft }) {
  return (
    <>
      <label for={`${props.idPrefix}-url`}>URL</label>
      <input
        id={`${props.idPrefix}-url`}
        type="url"
        name="url"
        required
        maxlength={MAX_WEBHOOK_URL}
        placeholder="https://hooks.example.com/userplane"
        value={props.draft.url}
        spellcheck={false}
        autocomplete="off"
      />
      <p class="hint muted">https only. The address must be reachable on the public internet.</p>
      <EventCheckboxes idPrefix={props.idPrefix} checked={props.draft.events} />
      <label for={`${props.idPrefix}-description`}>Description (optional)</label>
      <input
        id={`${props.idPrefix}-description`}
        type="text"
        name="description"
        maxlength={MAX_WEBHOOK_DESCRIPTION}
        value={props.draft.description}
      />
    </>
  );
}

function EnabledBadge(props: { enabled: boolean }) {
  return props.enabled ? (
    <span class="badge status-active">enabled</span>
  ) : (
    <span class="badge status-disabled">disabled</span>
  );
}

function SecretShown(props: { secret: string; url: string; rotated: boolean }) {
  return (
    <OneTimeSecret
      id="webhook-secret"
      label={`${props.rotated ? 'New signing secret' : 'Signing secret'} for ${props.url}`}
      value={props.secret}
      note={
        <>
          Copy it now: it is shown only this once and stored encrypted.{' '}
          {props.rotated ? 'The old secret no longer signs deliveries. ' : ''}
          Check each delivery's <code>webhook-signature</code> with it (Standard Webhooks, e.g. the{' '}
          <code>standardwebhooks</code> library).
        </>
      }
    />
  );
}

function ListBody(props: {
  frame: SettingsFrame;
  endpoints: WebhookEndpointView[];
  created?: { secret: string; url: string } | undefined;
  error?: string | undefined;
  draft: Draft;
}) {
  const { ctx, ws } = props.frame;
  const base = settingsPath(ws.current.id, 'webhooks');
  return (
    <>
      {props.created ? (
        <SecretShown secret={props.created.secret} url={props.created.url} rotated={false} />
      ) : null}
      <section class="card" aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Webhook endpoints</h2>
        <p class="muted">
          Userplane POSTs signed JSON (Standard Webhooks) to these URLs when the events they subscribe to
          happen, and retries for about a day when an endpoint does not answer with 2xx.
        </p>
        <ListTable
          columns={['URL', 'Events', 'Status', 'Added', 'Actions']}
          items={props.endpoints}
          empty={<p>No endpoints yet. Add one below.</p>}
          row={(endpoint) => {
            const href = `${base}/${encodeURIComponent(endpoint.id)}`;
            return (
              <tr>
                <td data-label="URL">
                  <a href={href}>{shortText(endpoint.url, 80)}</a>
                  {endpoint.description ? <div class="muted">{endpoint.description}</div> : null}
                </td>
                <td data-label="Events">{endpoint.events.join(', ')}</td>
                <td data-label="Status">
                  <EnabledBadge enabled={endpoint.enabled} />
                </td>
                <td data-label="Added">
                  <Time ms={endpoint.createdAt} dateOnly />
                </td>
                <td>
                  <a href={href}>
                    Delivery log and settings<span class="sr-only"> of {endpoint.url}</span>
                  </a>
                </td>
              </tr>
            );
          }}
        />
      </section>
      <section class="card" aria-labelledby="add-webhook-heading">
        <h2 id="add-webhook-heading">Add an endpoint</h2>
        <form method="post" action={base}>
          <CsrfField csrf={ctx.csrf} />
          <EndpointFields idPrefix="new" draft={props.draft} />
          <FormError error={props.error} />
          <button type="submit">Add endpoint</button>
        </form>
      </section>
    </>
  );
}

function AttemptsCell(props: { delivery: DeliveryDetail }) {
  const last = props.delivery.attemptLog.at(-1);
  return (
    <>
      {props.delivery.attempts}
      {last ? (
        <div class="muted">
          last <Time ms={last.startedAt} />
        </div>
      ) : null}
    </>
  );
}

/** The delivery log of one endpoint (also used by tests through the page). */
function DeliveryLog(props: { workspaceId: string; deliveries: DeliveryDetail[]; hasMore: boolean }) {
  if (props.deliveries.length === 0) {
    return <p>Nothing sent yet. Use "Send test event" to try the endpoint.</p>;
  }
  return (
    <>
      <DeliveryTable
        workspaceId={props.workspaceId}
        deliveries={props.deliveries}
        columns={['event', 'status', 'attempts', 'code', 'error']}
        attempts={(d) => <AttemptsCell delivery={d} />}
      />
      {props.hasMore ? (
        <p class="muted">
          Showing the latest {props.deliveries.length}.{' '}
          <a href={settingsPath(props.workspaceId, 'deliveries')}>All deliveries</a>
        </p>
      ) : null}
    </>
  );
}

function EndpointBody(props: {
  frame: SettingsFrame;
  endpoint: WebhookEndpointView;
  deliveries: DeliveryDetail[];
  hasMore: boolean;
  rotatedSecret?: string | undefined;
  error?: string | undefined;
  draft?: Draft | undefined;
}) {
  const { ctx, ws } = props.frame;
  const { endpoint } = props;
  const base = `${settingsPath(ws.current.id, 'webhooks')}/${encodeURIComponent(endpoint.id)}`;
  const draft = props.draft ?? {
    url: endpoint.url,
    description: endpoint.description ?? '',
    events: endpoint.events,
  };
  return (
    <>
      <p>
        <a href={settingsPath(ws.current.id, 'webhooks')}>← All webhook endpoints</a>
      </p>
      {props.rotatedSecret ? <SecretShown secret={props.rotatedSecret} url={endpoint.url} rotated /> : null}
      <section class="card" aria-labelledby="endpoint-heading">
        <h2 id="endpoint-heading">{shortText(endpoint.url, 120)}</h2>
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <EnabledBadge enabled={endpoint.enabled} />
          </dd>
          <dt>Events</dt>
          <dd>{endpoint.events.join(', ')}</dd>
          {endpoint.description ? (
            <>
              <dt>Description</dt>
              <dd>{endpoint.description}</dd>
            </>
          ) : null}
          <dt>Added</dt>
          <dd>
            <Time ms={endpoint.createdAt} />
          </dd>
        </dl>
        <div class="actions">
          <PostForm
            action={`${base}/test`}
            csrf={ctx.csrf}
            class="inline"
            buttonClass="secondary"
            disabled={!endpoint.enabled}
            button="Send test event"
          />
          <PostForm
            action={`${base}/enabled`}
            csrf={ctx.csrf}
            class="inline"
            buttonClass="secondary"
            button={endpoint.enabled ? 'Disable' : 'Enable'}
          >
            <input type="hidden" name="enabled" value={endpoint.enabled ? 'no' : 'yes'} />
          </PostForm>
          <ActionMenu summary="Rotate secret…">
            <p>The current secret stops working at once; update your receiver with the new one.</p>
            <DeleteForm action={`${base}/rotate`} csrf={ctx.csrf}>
              Rotate the signing secret
            </DeleteForm>
          </ActionMenu>
          <ActionMenu summary="Delete…">
            <p>Nothing more is sent to this endpoint; deliveries still waiting fail. The log stays.</p>
            <DeleteForm action={`${base}/delete`} csrf={ctx.csrf}>
              Delete this endpoint
            </DeleteForm>
          </ActionMenu>
        </div>
      </section>
      <section class="card" aria-labelledby="log-heading">
        <h2 id="log-heading">Delivery log</h2>
        <DeliveryLog workspaceId={ws.current.id} deliveries={props.deliveries} hasMore={props.hasMore} />
      </section>
      <section class="card" aria-labelledby="edit-heading">
        <h2 id="edit-heading">Edit</h2>
        <form method="post" action={base}>
          <CsrfField csrf={ctx.csrf} />
          <EndpointFields idPrefix="edit" draft={draft} />
          <FormError error={props.error} />
          <button type="submit">Save</button>
        </form>
      </section>
    </>
  );
}

type Status = SettingsStatus;

/** Workspace Settings > Webhooks; mount at '/' (app.ts, next to the other settings routers). */
export function createWebhookRoutes(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'settings');

  const listPage = async (
    c: Context,
    frame: SettingsFrame,
    extra: { created?: { secret: string; url: string }; error?: string; draft?: Draft } = {},
    status: Status = 200,
  ) => {
    const endpoints = await listWebhookEndpoints(deps, frame.ws.access);
    return renderSettings(
      c,
      frame,
      { title: 'Webhooks', tab: 'webhooks', flashes: FLASH },
      <ListBody
        frame={frame}
        endpoints={endpoints}
        created={extra.created}
        error={extra.error}
        draft={extra.draft ?? { url: '', description: '', events: [...WEBHOOK_EVENT_TYPES] }}
      />,
      status,
    );
  };

  const endpointPage = async (
    c: Context,
    frame: SettingsFrame,
    endpointId: string,
    extra: { rotatedSecret?: string; error?: string; draft?: Draft } = {},
    status: Status = 200,
  ) => {
    const access = frame.ws.access;
    const endpoint = await getWebhookEndpoint(deps, access, endpointId);
    const log = await listEndpointDeliveries(deps, access, endpointId, { limit: LOG_SIZE });
    return renderSettings(
      c,
      frame,
      { title: 'Webhook endpoint', tab: 'webhooks', flashes: FLASH },
      <EndpointBody
        frame={frame}
        endpoint={endpoint}
        deliveries={log.items}
        hasMore={log.hasMore}
        rotatedSecret={extra.rotatedSecret}
        error={extra.error}
        draft={extra.draft}
      />,
      status,
    );
  };

  const endpointHref = (frame: SettingsFrame, id: string) =>
    `${settingsPath(frame.ws.current.id, 'webhooks')}/${encodeURIComponent(id)}`;

  app.get('/w/:ws/settings/webhooks', ...chains.page, async (c) => listPage(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/webhooks', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const draft = await readForm(c);
    const result = await attempt(() =>
      createWebhookEndpoint(
        deps,
        frame.ws.access,
        { url: draft.url, events: draft.events, description: draft.description },
        requestOrigin(c, deps.config.trustProxy),
      ),
    );
    if (!result.ok) return listPage(c, frame, { error: result.error, draft }, result.status);
    // Shown in this response only: the page is no-store and the secret is stored sealed.
    const { endpoint, secret } = result.value;
    return listPage(c, frame, { created: { secret, url: endpoint.url } });
  });

  app.get('/w/:ws/settings/webhooks/:id', ...chains.page, async (c) =>
    endpointPage(c, await loadSettings(c, deps), c.req.param('id')),
  );

  app.post('/w/:ws/settings/webhooks/:id', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const id = c.req.param('id');
    const draft = await readForm(c);
    const result = await attempt(() =>
      updateWebhookEndpoint(deps, frame.ws.access, id, {
        url: draft.url,
        events: draft.events,
        description: draft.description,
      }),
    );
    if (!result.ok) return endpointPage(c, frame, id, { error: result.error, draft }, result.status);
    return redirectWithFlash(c, endpointHref(frame, id), 'saved');
  });

  app.post('/w/:ws/settings/webhooks/:id/enabled', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const id = c.req.param('id');
    const enabled = (await readForm(c)).enabled === 'yes';
    await updateWebhookEndpoint(deps, frame.ws.access, id, { enabled });
    return redirectWithFlash(c, endpointHref(frame, id), enabled ? 'enabled' : 'disabled');
  });

  app.post('/w/:ws/settings/webhooks/:id/rotate', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const id = c.req.param('id');
    const { secret } = await rotateWebhookSecret(
      deps,
      frame.ws.access,
      id,
      requestOrigin(c, deps.config.trustProxy),
    );
    return endpointPage(c, frame, id, { rotatedSecret: secret });
  });

  app.post('/w/:ws/settings/webhooks/:id/test', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const id = c.req.param('id');
    await sendTestWebhook(deps, frame.ws.access, id);
    return redirectWithFlash(c, endpointHref(frame, id), 'test-queued');
  });

  app.post('/w/:ws/settings/webhooks/:id/delete', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    await deleteWebhookEndpoint(
      deps,
      frame.ws.access,
      c.req.param('id'),
      requestOrigin(c, deps.config.trustProxy),
    );
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'webhooks'), 'deleted');
  });

  return app;
}
