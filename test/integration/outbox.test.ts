import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { deliverDue, MAX_ATTEMPTS, publish } from '../../src/services/delivery/outbox.ts';
import { DELIVERY_LOG_DAYS, runRetention } from '../../src/services/retention.ts';
import { createWebhookEndpoint } from '../../src/services/webhooks.ts';
import { findDelivery, listAttempts } from '../../src/store/deliveries.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { accessOf, link } from '../helpers/builders-links.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

// The outbox itself (issue 10 §1), with the webhook channel as the example: deliveries exist only
// for events that committed, their content is sealed at rest, a receiver that never recovers gets
// exactly MAX_ATTEMPTS tries spread over about a day before the delivery fails for good (and the
// delivery log says so), and the retention job forgets finished deliveries after DELIVERY_LOG_DAYS.

const DAY = 24 * 60 * 60_000;

describe(`the outbox [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let receiver: WebhookReceiver;
  let team: Awaited<ReturnType<typeof teamWorkspace>>;
  let endpointId: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await createTestApp({ clock, env: { ALLOW_PRIVATE_NETWORK_FETCH: 'true' } });
    team = await teamWorkspace(t.deps);
    const access = await accessOf(t.deps, team.admin, team.workspace.id);
    ({
      endpoint: { id: endpointId },
    } = await createWebhookEndpoint(t.deps, access, {
      url: receiver.url('/outbox'),
      events: ['link.created', 'link.deleted'],
    }));
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  const deliveriesOf = (eventType: string) =>
    t.deps.db
      .selectFrom('deliveries')
      .selectAll()
      .where('target_id', '=', endpointId)
      .where('event_type', '=', eventType)
      .execute();

  it('writes deliveries only for events that commit, with their content sealed', async () => {
    const access = await accessOf(t.deps, team.admin, team.workspace.id);
    // An event published in a transaction that then fails leaves nothing behind.
    await expect(
      t.deps.db.transaction().execute(async (trx) => {
        await publish(t.deps, trx, {
          type: 'link.deleted',
          id: 'evt_rolled_back',
          at: clock.now(),
          workspaceId: team.workspace.id,
          linkId: 'lnk_secret_marker',
        });
        throw new Error('the change failed after publishing');
      }),
    ).rejects.toThrow('the change failed');
    expect(await deliveriesOf('link.deleted')).toEqual([]);

    const created = await link(t.deps, access, { title: 'Sealed title marker' });
    const [row] = await deliveriesOf('link.created');
    expect(row).toMatchObject({ status: 'pending', attempts: 0 });
    // Neither the title nor the link id is readable in the stored row.
    expect(JSON.stringify(row)).not.toContain('Sealed title marker');
    expect(row!.payload).not.toContain(created.id);
    expect(await deliverDue(t.deps)).toMatchObject({ delivered: 1 });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.body).toContain('Sealed title marker');
  });

  it('gives up after MAX_ATTEMPTS tries over about a day, and the log shows each one', async () => {
    receiver.answer([], 503);
    const access = await accessOf(t.deps, team.admin, team.workspace.id);
    const started = clock.now();
    const created = await link(t.deps, access, { title: 'Never delivered' });
    const rows = await deliveriesOf('link.created');
    const row = rows.find((r) => r.status === 'pending')!;
    // Each pass finds it due only once its backoff has passed.
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const run = await deliverDue(t.deps);
      expect(run.delivered).toBe(0);
      const now = await findDelivery(t.deps.db, row.id);
      expect(now?.attempts).toBe(i + 1);
      if (i < MAX_ATTEMPTS - 1) {
        expect(now?.status).toBe('pending');
        // Not due again before its time …
        expect(await deliverDue(t.deps)).toEqual({ delivered: 0, retried: 0, failed: 0 });
        clock.set(now!.nextAttemptAt);
      } else {
        expect(now?.status).toBe('failed');
      }
    }
    expect(receiver.requests.filter((r) => r.body.includes(created.id))).toHaveLength(MAX_ATTEMPTS);
    const elapsed = clock.now() - started;
    expect(elapsed).toBeGreaterThan(0.85 * 23.6 * 60 * 60_000);
    expect(elapsed).toBeLessThan(1.15 * 23.6 * 60 * 60_000);
    const attempts = await listAttempts(t.deps.db, row.id);
    expect(attempts.map((a) => a.statusCode)).toEqual(Array(MAX_ATTEMPTS).fill(503));
    expect(attempts.every((a) => !a.ok)).toBe(true);
    // Failed is final: no more tries.
    clock.advance(DAY);
    await deliverDue(t.deps);
    expect(receiver.requests.filter((r) => r.body.includes(created.id))).toHaveLength(MAX_ATTEMPTS);
  });

  it('the retention job forgets finished deliveries after DELIVERY_LOG_DAYS and keeps pending ones', async () => {
    receiver.answer([], 503);
    const access = await accessOf(t.deps, team.admin, team.workspace.id);
    await link(t.deps, access, { title: 'Still pending' });
    const pending = (await deliveriesOf('link.created')).find((r) => r.status === 'pending')!;
    clock.advance((DELIVERY_LOG_DAYS + 1) * DAY);
    const report = await runRetention(t.deps);
    expect(report.deliveries).toBeGreaterThanOrEqual(2);
    const left = await deliveriesOf('link.created');
    expect(left.map((r) => r.id)).toEqual([pending.id]);
    expect(await listAttempts(t.deps.db, pending.id)).toEqual([]);
  });
});
