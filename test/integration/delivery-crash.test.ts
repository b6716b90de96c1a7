import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireMember } from '../../src/services/access.ts';
import { createWebhookEndpoint } from '../../src/services/webhooks.ts';
import { listDeliveriesOfEvent } from '../../src/store/deliveries.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { insertDomainRow } from '../helpers/builders-recordings.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { testDialect } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

// Issue 10: a delivery survives a crash between the commit of its event and its sending. Real
// `userplane serve` processes commit events (links created over REST, so link.created webhooks)
// with the delivery worker off (DELIVERY_WORKER=false, as when deliveries are left to other
// instances), then are killed with SIGKILL — no shutdown hook runs — and started again with the
// worker on. The receiver then gets each delivery exactly once, under its stable webhook-id.
// On PostgreSQL two instances crash and restart together and share the outbox: still exactly once.

const INSTANCES = testDialect === 'postgres' ? 2 : 1;
const EVENTS = testDialect === 'postgres' ? 20 : 8;

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`a crash between an event's commit and its delivery [${testDialect}, ${INSTANCES} instance(s)]`, () => {
  let receiver: WebhookReceiver;
  let procs: ServerProcesses;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    procs = await startServerProcesses(INSTANCES, {
      env: {
        DELIVERY_WORKER: 'false',
        ALLOW_PRIVATE_NETWORK_FETCH: 'true',
        API_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await procs?.stop();
    await receiver?.close();
  });

  it('loses nothing and sends each delivery once after SIGKILL and restart', async () => {
    const setup = await procs.withDeps(async (deps) => {
      const team = await teamWorkspace(deps);
      const domainId = await insertDomainRow(deps, team.workspace.id);
      const access = await requireMember(deps, team.admin.user.id, team.workspace.id);
      const { endpoint } = await createWebhookEndpoint(deps, access, {
        url: receiver.url('/crash'),
        events: ['link.created'],
      });
      return { team, domainId, endpointId: endpoint.id };
    });

    // Events committed by the servers themselves, spread over the instances.
    const linkIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const base = procs.urls[i % INSTANCES]!;
      const res = await fetch(`${base}/api/v1/public/workspace/${setup.team.workspace.id}/links`, {
        method: 'POST',
        headers: { ...setup.team.member.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ domainId: setup.domainId, linkReference: `Crash ${i}` }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      linkIds.push(((await res.json()) as { data: { linkId: string } }).data.linkId);
    }
    const pending = await procs.withDeps(async (deps) => {
      const rows = await deps.db
        .selectFrom('deliveries')
        .select(['id', 'status', 'event_type'])
        .where('target_id', '=', setup.endpointId)
        .execute();
      return rows;
    });
    expect(pending).toHaveLength(EVENTS);
    expect(pending.every((row) => row.status === 'pending' && row.event_type === 'link.created')).toBe(true);
    expect(receiver.requests).toHaveLength(0);

    for (let i = 0; i < INSTANCES; i++) await procs.kill(i);
    for (let i = 0; i < INSTANCES; i++) expect(procs.alive(i)).toBe(false);
    // Started again together, each with its worker on: they compete for the same rows.
    await Promise.all(
      Array.from({ length: INSTANCES }, (_, i) => procs.restart(i, { DELIVERY_WORKER: 'true' })),
    );

    await waitFor(() => receiver.requests.length >= EVENTS, `${EVENTS} webhook deliveries`);
    // Time for any duplicate to show up: two more worker passes on each instance.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(receiver.requests).toHaveLength(EVENTS);
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(EVENTS);
    expect(ids.sort()).toEqual(pending.map((row) => row.id).sort());
    const delivered = receiver.requests.map(
      (r) => (JSON.parse(r.body) as { data: { link: { linkId: string } } }).data.link.linkId,
    );
    expect(delivered.sort()).toEqual([...linkIds].sort());

    // The outbox agrees: each row delivered after one attempt.
    await procs.withDeps(async (deps) => {
      for (const row of pending) {
        const [event] = await deps.db
          .selectFrom('deliveries')
          .select('event_id')
          .where('id', '=', row.id)
          .execute();
        const [delivery] = await listDeliveriesOfEvent(deps.db, event!.event_id);
        expect(delivery).toMatchObject({ status: 'delivered', attempts: 1 });
      }
    });
  }, 90_000);
});
