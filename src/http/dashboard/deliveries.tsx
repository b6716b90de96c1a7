import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import {
  DELIVERY_CHANNELS,
  DELIVERY_STATUSES,
  type DeliveryView,
  getDelivery,
  listWorkspaceDeliveries,
} from '../../services/delivery-log.ts';
import type { Deps } from '../../services/deps.ts';
import { dashboardChains } from './chains.ts';
import { ListTable } from './kit.tsx';
import { loadSettings, renderSettings, settingsPath } from './settings-common.tsx';
import { Time } from './shell.tsx';

// Workspace Settings > Deliveries (issue 10 §1: "the dashboard shows the failure"): every message
// the outbox sent or is trying to send for the workspace — e-mail, webhooks, Slack, help-desk
// notes — newest first, failed ones highlighted, and each delivery's attempt log. Admins and owners
// only (the service refuses others). Errors and response bodies come from other people's servers:
// shown as text, cut to a readable length, never as markup.

const PER_PAGE = 50;

const CHANNEL_NAMES: Record<string, string> = {
  email: 'E-mail',
  webhook: 'Webhook',
  slack: 'Slack',
  intercom: 'Intercom',
  zendesk: 'Zendesk',
};

/** The page of one delivery. */
export function deliveryPath(workspaceId: string, deliveryId: string): string {
  return `${settingsPath(workspaceId, 'deliveries')}/${encodeURIComponent(deliveryId)}`;
}

/** At most `max` characters of a text, with an ellipsis when cut. */
export function shortText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** pending (retrying) / delivered / failed, as a badge. */
export function DeliveryStatusBadge(props: { delivery: DeliveryView }) {
  const d = props.delivery;
  const text = d.status === 'pending' && d.attempts > 0 ? 'retrying' : d.status;
  return (
    <>
      <span class={`badge status-${d.status}`}>{text}</span>
      {d.status === 'pending' ? (
        <div class="muted">
          next try <Time ms={d.nextAttemptAt} />
        </div>
      ) : null}
    </>
  );
}

/** A column of a delivery table; each page picks the ones that say something there. */
export type DeliveryColumn = 'channel' | 'event' | 'to' | 'status' | 'attempts' | 'code' | 'error';

const COLUMN_HEADINGS: Record<DeliveryColumn, string> = {
  channel: 'Channel',
  event: 'Event',
  to: 'To',
  status: 'Status',
  attempts: 'Attempts',
  code: 'Last code',
  error: 'Last error',
};

/**
 * Deliveries as a table, newest first, each row linking to its attempt log and failed rows
 * highlighted: the one table of Deliveries, a webhook endpoint's log and an integration's recent
 * deliveries. `attempts` may render more than the count (a webhook's last try).
 */
export function DeliveryTable<D extends DeliveryView>(props: {
  workspaceId: string;
  deliveries: readonly D[];
  columns: readonly DeliveryColumn[];
  attempts?: (delivery: D) => Child;
}) {
  const cell = (d: D, column: DeliveryColumn): Child => {
    switch (column) {
      case 'channel':
        return CHANNEL_NAMES[d.channel] ?? d.channel;
      case 'event':
        return <code>{d.eventType}</code>;
      case 'to':
        return shortText(d.summary, 120);
      case 'status':
        return <DeliveryStatusBadge delivery={d} />;
      case 'attempts':
        return props.attempts ? props.attempts(d) : d.attempts;
      case 'code':
        return d.lastStatusCode ?? '—';
      case 'error':
        return d.lastError ? shortText(d.lastError, 200) : '—';
    }
  };
  return (
    <ListTable
      columns={['Created', ...props.columns.map((column) => COLUMN_HEADINGS[column])]}
      items={props.deliveries}
      row={(d) => (
        <tr class={d.status === 'failed' ? 'delivery-failed' : undefined}>
          <td data-label="Created">
            <a href={deliveryPath(props.workspaceId, d.id)}>
              <Time ms={d.createdAt} />
            </a>
          </td>
          {props.columns.map((column) => (
            <td data-label={COLUMN_HEADINGS[column]}>{cell(d, column)}</td>
          ))}
        </tr>
      )}
    />
  );
}

function optionFrom<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** Workspace Settings > Deliveries and a delivery's page; mount at '/' (app.ts). */
export function createDeliveryRoutes(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'settings');

  app.get('/w/:ws/settings/deliveries', ...chains.page, async (c) => {
    const frame = await loadSettings(c, deps);
    // Unknown filter values are dropped rather than refused: these come from links and bookmarks.
    const status = optionFrom(c.req.query('status'), DELIVERY_STATUSES);
    const channel = optionFrom(c.req.query('channel'), DELIVERY_CHANNELS);
    const beforeRaw = c.req.query('before');
    const before = beforeRaw && beforeRaw.length <= 64 ? beforeRaw : undefined;
    const page = await listWorkspaceDeliveries(deps, frame.ws.access, {
      status,
      channel,
      before,
      limit: PER_PAGE,
    });
    const wsId = frame.ws.current.id;
    const base = settingsPath(wsId, 'deliveries');
    const query = (extra: Record<string, string | undefined>) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ status, channel, ...extra })) if (v) params.set(k, v);
      const text = params.toString();
      return text ? `${base}?${text}` : base;
    };
    const last = page.items.at(-1);
    return renderSettings(
      c,
      frame,
      { title: 'Deliveries', tab: 'deliveries' },
      <section class="card" aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        <p class="muted">
          Every e-mail, webhook, Slack message and help-desk note sent for this workspace, newest first. A
          delivery that fails is retried for about a day; then it is marked failed.
        </p>
        <form method="get" action={base} class="filters">
          <label for="filter-status">Status</label>
          <select id="filter-status" name="status">
            <option value="">any</option>
            {DELIVERY_STATUSES.map((s) => (
              <option value={s} selected={s === status}>
                {s}
              </option>
            ))}
          </select>
          <label for="filter-channel">Channel</label>
          <select id="filter-channel" name="channel">
            <option value="">any</option>
            {DELIVERY_CHANNELS.map((ch) => (
              <option value={ch} selected={ch === channel}>
                {CHANNEL_NAMES[ch] ?? ch}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary small">
            Filter
          </button>
        </form>
        {page.items.length === 0 ? (
          <p>{status || channel || before ? 'No deliveries match.' : 'Nothing has been sent yet.'}</p>
        ) : (
          <DeliveryTable
            workspaceId={wsId}
            deliveries={page.items}
            columns={['channel', 'event', 'to', 'status', 'attempts', 'code', 'error']}
          />
        )}
        {before || page.hasMore ? (
          <nav class="pager" aria-label="Pages">
            {before ? <a href={query({})}>← Newest</a> : <span />}
            <span />
            {page.hasMore && last ? (
              <a href={query({ before: last.id })} rel="next">
                Older →
              </a>
            ) : (
              <span />
            )}
          </nav>
        ) : null}
      </section>,
    );
  });

  app.get('/w/:ws/settings/deliveries/:id', ...chains.page, async (c) => {
    const frame = await loadSettings(c, deps);
    const d = await getDelivery(deps, frame.ws.access, c.req.param('id'));
    const wsId = frame.ws.current.id;
    return renderSettings(
      c,
      frame,
      { title: 'Delivery', tab: 'deliveries' },
      <>
        <p>
          <a href={settingsPath(wsId, 'deliveries')}>← All deliveries</a>
        </p>
        <section class="card" aria-labelledby="delivery-heading">
          <h2 id="delivery-heading">
            {CHANNEL_NAMES[d.channel] ?? d.channel}: <code>{d.eventType}</code>
          </h2>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <DeliveryStatusBadge delivery={d} />
            </dd>
            <dt>To</dt>
            <dd>
              {d.summary}
              {d.channel === 'webhook' && d.targetId ? (
                <>
                  {' '}
                  (
                  <a href={`${settingsPath(wsId, 'webhooks')}/${encodeURIComponent(d.targetId)}`}>endpoint</a>
                  )
                </>
              ) : null}
            </dd>
            <dt>Delivery id (idempotency key)</dt>
            <dd>
              <code>{d.id}</code>
            </dd>
            <dt>Event id</dt>
            <dd>
              <code>{d.eventId}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time ms={d.createdAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time ms={d.finishedAt} />
            </dd>
            {d.lastError ? (
              <>
                <dt>Last error</dt>
                <dd class="error">{d.lastError}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card" aria-labelledby="attempts-heading">
          <h2 id="attempts-heading">Attempts ({d.attemptLog.length})</h2>
          <ListTable
            columns={['#', 'Started', 'Took', 'Result', 'Code', 'Error', 'Response (first 1 KB)']}
            items={d.attemptLog}
            empty={<p>Not tried yet.</p>}
            row={(a) => (
              <tr class={a.ok ? undefined : 'delivery-failed'}>
                <td data-label="#">{a.attempt}</td>
                <td data-label="Started">
                  <Time ms={a.startedAt} />
                </td>
                <td data-label="Took">{`${a.durationMs} ms`}</td>
                <td data-label="Result">
                  {a.ok ? (
                    <span class="badge status-delivered">ok</span>
                  ) : (
                    <span class="badge status-failed">failed</span>
                  )}
                </td>
                <td data-label="Code">{a.statusCode ?? '—'}</td>
                <td data-label="Error">{a.error ?? '—'}</td>
                <td data-label="Response">
                  {a.responseBody ? <pre class="response">{a.responseBody}</pre> : '—'}
                </td>
              </tr>
            )}
          />
        </section>
      </>,
    );
  });

  return app;
}
