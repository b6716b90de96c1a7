import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { sealString } from '../../src/lib/secret-box.ts';
import { newEventId } from '../../src/services/delivery/events.ts';
import { deliverDue, publish, RETRY_SCHEDULE_MS } from '../../src/services/delivery/outbox.ts';
import type { DeliveryEvent } from '../../src/services/delivery/types.ts';
import { WEBHOOK_SECRET_LABEL } from '../../src/services/delivery/webhooks.ts';
import { ownerAccess } from '../../src/services/domains.ts';
import { insertWebhookEndpoint } from '../../src/store/webhook-endpoints.ts';
import { json, teamWorkspace } from '../helpers/builders.ts';
import { verifiedDomain } from '../helpers/builders-links.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import {
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.ts';

// Webhooks (issue 10 §4) through the REST API and the dashboard, delivered by the real outbox
// worker (deliverDue) to a real HTTP receiver on 127.0.0.1, and verified with an independent
// implementation of Standard Webhooks (the `standardwebhooks` package). The receivers are on
// loopback, so the app under test runs with ALLOW_PRIVATE_NETWORK_FETCH=true; a second app without
// it shows the SSRF guard (SECURITY.md S25) refusing private addresses at creation and at send.
//
// The fake clock starts at the real time and only moves forward by the retry waits, because the
// verifier checks webhook-timestamp against the real clock (5 minutes' tolerance).

const PASSWORD = 'correct horse battery';
const clock = fakeClock(Date.now());
let t: TestApp;
let strict: TestApp;
let receiver: WebhookReceiver;

const env = {
  ALLOW_PRIVATE_NETWORK_FETCH: 'true',
  API_RATE_LIMIT_PER_MINUTE: '100000',
  SIGNIN_RATE_LIMIT_PER_MINUTE: '100000',
};

beforeAll(async () => {
  t = await createTestApp({ clock, env });
  strict = await createTestApp({ clock, env: { API_RATE_LIMIT_PER_MINUTE: '100000' } });
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
  await strict?.close();
});

beforeEach(() => {
  receiver.reset();
  // Forward only: ids and due times must never go back.
  clock.set(Math.max(clock.now(), Date.now()));
});

type Who = { headers: Record<string, string> };

const hooks = (ws: string, rest = '') => `/api/v1/public/workspace/${ws}/webhooks${rest}`;

async function call(app: TestApp, method: string, path: string, who: Who, body?: unknown) {
  const res = await app.request(path, json(method, who, body));
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  return { status: res.status, text, body: text ? (JSON.parse(text) as any) : undefined };
}

async function createHook(app: TestApp, who: Who, ws: string, body: Record<string, unknown>) {
  const res = await call(app, 'POST', hooks(ws), who, body);
  expect(res.status, res.text).toBe(201);
  return res.body.data as { webhookId: string; secret: string; url: string; events: string[] };
}

async function deliveriesOf(app: TestApp, who: Who, ws: string, webhookId: string) {
  const res = await call(app, 'GET', hooks(ws, `/${webhookId}/deliveries`), who);
  expect(res.status, res.text).toBe(200);
  return res.body.data.deliveries as Array<{
    deliveryId: string;
    eventType: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    lastError: string | null;
    attemptLog: Array<{
      ok: boolean;
      statusCode: number | null;
      error: string | null;
      responseBody: string | null;
    }>;
  }>;
}

function signatureHeaders(req: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': String(req.headers['webhook-id']),
    'webhook-timestamp': String(req.headers['webhook-timestamp']),
    'webhook-signature': String(req.headers['webhook-signature']),
  };
}

/** What `standardwebhooks` makes of a received request under `secret`; throws if it does not verify. */
// biome-ignore lint/suspicious/noExplicitAny: the verified payload is read field by field
function verify(secret: string, req: ReceivedRequest): any {
  return new Webhook(secret).verify(req.body, signatureHeaders(req));
}

const at = (path: string) => receiver.requests.filter((r) => r.path === path);

function recordingDeleted(workspaceId: string): DeliveryEvent {
  return {
    type: 'recording.deleted',
    id: newEventId({ clock }),
    at: clock.now(),
    workspaceId,
    recordingId: 'rec_hostile',
    linkId: 'lnk_hostile',
  };
}

describe('creating an endpoint', () => {
  it('returns a whsec_ secret once; lists, GET and the stored row never show it again', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const created = await createHook(t, team.admin, ws, {
      url: receiver.url('/once'),
      events: ['link.created', 'recording.ready', 'link.created'],
      description: 'CRM sync',
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const key = Buffer.from(created.secret.slice('whsec_'.length), 'base64');
    expect(key.length).toBeGreaterThanOrEqual(24);
    expect(key.length).toBeLessThanOrEqual(32);
    // Canonical order, duplicates dropped.
    expect(created.events).toEqual(['recording.ready', 'link.created']);

    const list = await call(t, 'GET', hooks(ws), team.owner);
    expect(list.status).toBe(200);
    expect(list.body.data.webhooks).toHaveLength(1);
    expect(list.body.data.webhooks[0]).toMatchObject({
      webhookId: created.webhookId,
      url: receiver.url('/once'),
      description: 'CRM sync',
      enabled: true,
    });
    expect(list.body.data.webhooks[0].secret).toBeUndefined();
    expect(list.text).not.toContain(created.secret.slice(6, 30));
    const one = await call(t, 'GET', hooks(ws, `/${created.webhookId}`), team.owner);
    expect(one.status).toBe(200);
    expect(one.text).not.toContain(created.secret.slice(6, 30));

    const row = await t.store.db
      .selectFrom('webhook_endpoints')
      .select('secret_sealed')
      .where('id', '=', created.webhookId)
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(created.secret.slice(6, 30));
    expect(row.secret_sealed.startsWith('v1.')).toBe(true);
  });
});

describe('delivery', () => {
  it('a link created through REST reaches the receiver as link.created, and standardwebhooks verifies it', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const hook = await createHook(t, team.owner, ws, {
      url: receiver.url('/links'),
      events: ['link.created'],
    });
    // Endpoints that must not get it: another event, disabled, another workspace.
    await createHook(t, team.owner, ws, {
      url: receiver.url('/recordings-only'),
      events: ['recording.ready'],
    });
    const disabled = await createHook(t, team.owner, ws, {
      url: receiver.url('/disabled'),
      events: ['link.created'],
    });
    const off = await call(t, 'PUT', hooks(ws, `/${disabled.webhookId}`), team.owner, { enabled: false });
    expect(off.status, off.text).toBe(200);
    const other = await teamWorkspace(t.deps);
    await createHook(t, other.owner, other.workspace.id, {
      url: receiver.url('/elsewhere'),
      events: ['link.created'],
    });

    const domain = await verifiedDomain(t.deps, await ownerAccess(t.deps, ws));
    const made = await call(t, 'POST', `/api/v1/public/workspace/${ws}/links`, team.member, {
      domainId: domain.id,
      linkReference: 'Ticket 4711',
    });
    expect(made.status, made.text).toBe(201);
    const linkId = made.body.data.linkId as string;

    await deliverDue(t.deps);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/links']);
    const req = receiver.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    const payload = verify(hook.secret, req);
    expect(payload).toMatchObject({
      type: 'link.created',
      data: { workspaceId: ws, link: { linkId, linkTitle: 'Ticket 4711' } },
    });
    expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);

    const log = await deliveriesOf(t, team.owner, ws, hook.webhookId);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      eventType: 'link.created',
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 200,
    });
    // webhook-id is the delivery id: the receiver's idempotency key.
    expect(req.headers['webhook-id']).toBe(log[0]!.deliveryId);
  });

  it('a refused connection and a timeout are retried', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await createHook(t, team.owner, ws, {
      url: `http://127.0.0.1:${closedPort}/nobody`,
      events: ['link.deleted'],
    });
    const slow = await createHook(t, team.owner, ws, {
      url: receiver.url('/slow'),
      events: ['link.deleted'],
    });
    receiver.answer([{ status: 200, delayMs: 6_000 }], 200, '/slow');
    await publish(t.deps, t.deps.db, {
      type: 'link.deleted',
      id: newEventId({ clock }),
      at: clock.now(),
      workspaceId: ws,
      linkId: 'lnk_gone',
    });
    const started = Date.now();
    await deliverDue(t.deps);
    expect(Date.now() - started).toBeLessThan(5_900);
    const [a] = await deliveriesOf(t, team.owner, ws, refused.webhookId);
    expect(a).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
    expect(a!.lastError).toMatch(/ECONNREFUSED|failed/);
    const [b] = await deliveriesOf(t, team.owner, ws, slow.webhookId);
    expect(b).toMatchObject({ status: 'pending', attempts: 1 });
    expect(b!.lastError).toContain('5000 ms');
  }, 20_000);

  it('a delivery for an endpoint deleted or disabled since it was queued fails without being sent', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const gone = await createHook(t, team.owner, ws, {
      url: receiver.url('/deleted'),
      events: ['recording.deleted'],
    });
    const paused = await createHook(t, team.owner, ws, {
      url: receiver.url('/paused'),
      events: ['recording.deleted'],
    });
    await publish(t.deps, t.deps.db, recordingDeleted(ws));
    expect((await call(t, 'DELETE', hooks(ws, `/${gone.webhookId}`), team.owner)).status).toBe(200);
    expect(
      (await call(t, 'PUT', hooks(ws, `/${paused.webhookId}`), team.owner, { enabled: false })).status,
    ).toBe(200);
    await deliverDue(t.deps);
    expect(receiver.requests).toEqual([]);
    // The log of a deleted endpoint stays readable.
    const [a] = await deliveriesOf(t, team.owner, ws, gone.webhookId);
    expect(a).toMatchObject({ status: 'failed', attempts: 1 });
    expect(a!.lastError).toContain('deleted');
    const [b] = await deliveriesOf(t, team.owner, ws, paused.webhookId);
    expect(b).toMatchObject({ status: 'failed', attempts: 1 });
    expect(b!.lastError).toContain('disabled');
    // Deleted: 410 from now on, and it is no longer listed.
    expect((await call(t, 'GET', hooks(ws, `/${gone.webhookId}`), team.owner)).status).toBe(410);
    const list = await call(t, 'GET', hooks(ws), team.owner);
    expect(list.body.data.webhooks.map((w: { webhookId: string }) => w.webhookId)).toEqual([
      paused.webhookId,
    ]);
  });

  it('keeps at most 1 KB of a response body', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const hook = await createHook(t, team.owner, ws, {
      url: receiver.url('/chatty'),
      events: ['recording.deleted'],
    });
    receiver.answer(
      [
        { status: 500, body: 'é'.repeat(3000) },
        { status: 200, body: 'x'.repeat(5000) },
      ],
      200,
      '/chatty',
    );
    await publish(t.deps, t.deps.db, recordingDeleted(ws));
    await deliverDue(t.deps);
    clock.advance(RETRY_SCHEDULE_MS[0] * 1.1 + 1);
    await deliverDue(t.deps);
    const [delivery] = await deliveriesOf(t, team.owner, ws, hook.webhookId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2 });
    const bodies = delivery!.attemptLog.map((a) => a.responseBody ?? '');
    expect(bodies[0]!.startsWith('éé')).toBe(true);
    expect(bodies[1]!.startsWith('xx')).toBe(true);
    for (const body of bodies) {
      expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(1024);
      expect(Buffer.byteLength(body, 'utf8')).toBeGreaterThan(1000);
    }
    const rows = await t.store.db
      .selectFrom('delivery_attempts')
      .select('response_body')
      .where('delivery_id', '=', delivery!.deliveryId)
      .execute();
    for (const row of rows)
      expect(Buffer.byteLength(row.response_body ?? '', 'utf8')).toBeLessThanOrEqual(1024);
  });
});

describe('the retry schedule', () => {
  // Its own app and clock: this test moves time by a day, which must not move the clock the
  // verifiers of the other tests depend on.
  const retryClock = fakeClock(Date.now());
  let r: TestApp;
  beforeAll(async () => {
    r = await createTestApp({ clock: retryClock, env });
  });
  afterAll(async () => {
    await r?.close();
  });

  it('a receiver that fails twice (500) then succeeds gets exactly one answered-2xx request after 3 tries, with one webhook-id; the log shows 3 attempts', async () => {
    const team = await teamWorkspace(r.deps);
    const ws = team.workspace.id;
    const hook = await createHook(r, team.owner, ws, {
      url: receiver.url('/flaky'),
      events: ['recording.deleted'],
    });
    receiver.answer([500, { status: 500, body: 'still broken' }], 200, '/flaky');
    await publish(r.deps, r.deps.db, { ...recordingDeleted(ws), at: retryClock.now() });

    await deliverDue(r.deps);
    expect(at('/flaky')).toHaveLength(1);
    // Not due yet: nothing more is sent without the clock moving.
    await deliverDue(r.deps);
    expect(at('/flaky')).toHaveLength(1);
    // RETRY_SCHEDULE_MS with at most +10% jitter.
    retryClock.advance(RETRY_SCHEDULE_MS[0] * 1.1 + 1);
    await deliverDue(r.deps);
    expect(at('/flaky')).toHaveLength(2);
    retryClock.advance(RETRY_SCHEDULE_MS[1] * 1.1 + 1);
    await deliverDue(r.deps);
    const tries = at('/flaky');
    expect(tries.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(tries.filter((r) => r.status < 300)).toHaveLength(1);
    expect(new Set(tries.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(tries.map((r) => r.body)).size).toBe(1);
    // Each try is signed afresh with its own timestamp, and each verifies.
    expect(new Set(tries.map((r) => r.headers['webhook-timestamp'])).size).toBe(3);
    for (const r of tries) expect(verify(hook.secret, r).type).toBe('recording.deleted');

    const [delivery] = await deliveriesOf(r, team.owner, ws, hook.webhookId);
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
    });
    expect(delivery!.attemptLog.map((a) => [a.ok, a.statusCode])).toEqual([
      [false, 500],
      [false, 500],
      [true, 200],
    ]);
    expect(delivery!.attemptLog[0]!.error).toContain('HTTP 500');
    expect(delivery!.attemptLog[1]!.responseBody).toBe('still broken');

    // A day later still nothing more: a delivered row is never sent again.
    retryClock.advance(24 * 60 * 60_000);
    await deliverDue(r.deps);
    expect(at('/flaky')).toHaveLength(3);
  });
});

describe('rotating the secret and test events', () => {
  it('after rotation the old secret no longer verifies and the new one does, also for events queued before', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const hook = await createHook(t, team.owner, ws, {
      url: receiver.url('/rotate'),
      events: ['recording.deleted'],
    });
    await publish(t.deps, t.deps.db, recordingDeleted(ws));
    const rotated = await call(t, 'POST', hooks(ws, `/${hook.webhookId}/rotate-secret`), team.admin);
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = rotated.body.data.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(hook.secret);
    expect((await call(t, 'GET', hooks(ws, `/${hook.webhookId}`), team.owner)).text).not.toContain(
      fresh.slice(6, 30),
    );

    const test = await call(t, 'POST', hooks(ws, `/${hook.webhookId}/test`), team.owner);
    expect(test.status, test.text).toBe(202);
    await deliverDue(t.deps);
    const got = at('/rotate');
    expect(got).toHaveLength(2);
    for (const req of got) {
      expect(() => verify(hook.secret, req)).toThrow(WebhookVerificationError);
      expect(verify(fresh, req)).toBeTruthy();
    }
    const types = got.map((r) => verify(fresh, r).type).sort();
    expect(types).toEqual(['recording.deleted', 'webhook.test']);
    const testReq = got.find((r) => verify(fresh, r).type === 'webhook.test')!;
    expect(testReq.headers['webhook-id']).toBe(test.body.data.deliveryId);
    expect(verify(fresh, testReq).data).toMatchObject({ workspaceId: ws, webhookId: hook.webhookId });
  });

  it('"send test event" reaches that endpoint only, whatever it subscribes to; a disabled one is refused', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const a = await createHook(t, team.owner, ws, { url: receiver.url('/a'), events: ['member.joined'] });
    await createHook(t, team.owner, ws, { url: receiver.url('/b'), events: ['member.joined'] });
    const sent = await call(t, 'POST', hooks(ws, `/${a.webhookId}/test`), team.owner);
    expect(sent.status).toBe(202);
    await deliverDue(t.deps);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/a']);
    expect(verify(a.secret, receiver.requests[0]!).type).toBe('webhook.test');

    await call(t, 'PUT', hooks(ws, `/${a.webhookId}`), team.owner, { enabled: false });
    const refused = await call(t, 'POST', hooks(ws, `/${a.webhookId}/test`), team.owner);
    expect(refused.status).toBe(409);
    // Not subscribable: webhook.test is not an event type an endpoint can choose.
    const bad = await call(t, 'POST', hooks(ws), team.owner, {
      url: receiver.url('/c'),
      events: ['webhook.test'],
    });
    expect(bad.status).toBe(400);
  });
});

describe('SECURITY.md S25: private addresses', () => {
  it('without ALLOW_PRIVATE_NETWORK_FETCH an endpoint on a private or loopback address is refused at creation (400 naming url)', async () => {
    const team = await teamWorkspace(strict.deps);
    const ws = team.workspace.id;
    for (const url of [
      'https://10.0.0.1/hook',
      'https://localhost/hook',
      'https://127.0.0.1:8443/hook',
      'https://[::1]/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://192.168.1.10/hook',
      receiver.url('/loopback-http'),
    ]) {
      const res = await call(strict, 'POST', hooks(ws), team.owner, { url, events: ['link.created'] });
      expect(res.status, url).toBe(400);
      expect(res.body.error).toBe('VALIDATION_FAILED');
      expect(res.body.message, url).toMatch(/^url: /);
    }
    expect(
      (
        await call(strict, 'POST', hooks(ws), team.owner, {
          url: 'https://10.0.0.1/',
          events: ['link.created'],
        })
      ).body.message,
    ).toContain('public');
    const list = await call(strict, 'GET', hooks(ws), team.owner);
    expect(list.body.data.webhooks).toEqual([]);
  });

  it('a delivery to an endpoint that now resolves to a private address is refused at send, at once and for good', async () => {
    const team = await teamWorkspace(strict.deps);
    const ws = team.workspace.id;
    // Saved while its name pointed elsewhere (the guard at creation passed); now it points at loopback.
    const now = clock.now();
    const endpoint = await insertWebhookEndpoint(strict.deps.db, {
      id: newId('whk', now),
      workspaceId: ws,
      url: receiver.url('/rebound'),
      description: null,
      events: ['recording.deleted'],
      sealedSecret: sealString(
        strict.config.secret,
        WEBHOOK_SECRET_LABEL,
        `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      ),
      now,
    });
    await publish(strict.deps, strict.deps.db, recordingDeleted(ws));
    await deliverDue(strict.deps);
    clock.advance(RETRY_SCHEDULE_MS[0] * 1.1 + 1);
    await deliverDue(strict.deps);
    expect(receiver.requests).toEqual([]);
    const [delivery] = await deliveriesOf(strict, team.owner, ws, endpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery!.lastError).toContain('non-public address');
  });

  it('plain http is refused for any host but loopback, even in development; other schemes and credentials too', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    for (const url of [
      'http://example.com/hook',
      'http://10.0.0.1/hook',
      'ftp://example.com/hook',
      'https://user:pass@example.com/hook',
      'not a url',
      '',
    ]) {
      const res = await call(t, 'POST', hooks(ws), team.owner, { url, events: ['link.created'] });
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/^url: /);
    }
    expect((await call(t, 'GET', hooks(ws), team.owner)).body.data.webhooks).toEqual([]);
  });
});

describe('who may, and bad input', () => {
  it('members get 403 FORBIDDEN, outsiders 403 NOT_A_MEMBER, and nothing changes', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const hook = await createHook(t, team.owner, ws, {
      url: receiver.url('/roles'),
      events: ['link.created'],
    });
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', hooks(ws)],
      ['POST', hooks(ws), { url: receiver.url('/member'), events: ['link.created'] }],
      ['GET', hooks(ws, `/${hook.webhookId}`)],
      ['PUT', hooks(ws, `/${hook.webhookId}`), { enabled: false }],
      ['DELETE', hooks(ws, `/${hook.webhookId}`)],
      ['POST', hooks(ws, `/${hook.webhookId}/rotate-secret`)],
      ['POST', hooks(ws, `/${hook.webhookId}/test`)],
      ['GET', hooks(ws, `/${hook.webhookId}/deliveries`)],
    ];
    for (const [method, path, body] of attempts) {
      const asMember = await call(t, method, path, team.member, body);
      expect(asMember.status, `${method} ${path}`).toBe(403);
      expect(asMember.body.error).toBe('FORBIDDEN');
      expect(asMember.body.message).toContain('admin or owner');
      const asOutsider = await call(t, method, path, team.outsider, body);
      expect(asOutsider.status).toBe(403);
      expect(asOutsider.body.error).toBe('NOT_A_MEMBER');
    }
    const list = await call(t, 'GET', hooks(ws), team.owner);
    expect(list.body.data.webhooks).toHaveLength(1);
    expect(list.body.data.webhooks[0]).toMatchObject({ enabled: true });
    await deliverDue(t.deps);
    expect(receiver.requests).toEqual([]);
  });

  it('bad input answers 400 naming the field and changes nothing', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const hook = await createHook(t, team.owner, ws, { url: receiver.url('/bad'), events: ['link.created'] });
    const long = `https://example.com/${'a'.repeat(2100)}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: receiver.url('/x'), events: ['recording.ready', 'nope'] }, 'events'],
      [{ url: receiver.url('/x'), events: ['invitation.created'] }, 'events'],
      [{ url: receiver.url('/x'), events: [] }, 'events'],
      [{ url: receiver.url('/x') }, 'events'],
      [{ url: long, events: ['link.created'] }, 'url'],
      [{ events: ['link.created'] }, 'url'],
      [{ url: receiver.url('/x'), events: ['link.created'], description: 'd'.repeat(201) }, 'description'],
      [{ url: receiver.url('/x'), events: ['link.created'], secret: 'whsec_mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await call(t, 'POST', hooks(ws), team.owner, body);
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.body.error).toBe('VALIDATION_FAILED');
      expect(res.body.message.startsWith(field), res.body.message).toBe(true);
    }
    for (const [body, field] of [
      [{ events: ['nope'] }, 'events'],
      [{ url: long }, 'url'],
      [{ url: 'http://example.com/' }, 'url'],
      [{ enabled: 'yes' }, 'enabled'],
      [{}, 'body'],
    ] as Array<[Record<string, unknown>, string]>) {
      const res = await call(t, 'PUT', hooks(ws, `/${hook.webhookId}`), team.owner, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message.startsWith(field), res.body.message).toBe(true);
    }
    const list = await call(t, 'GET', hooks(ws), team.owner);
    expect(list.body.data.webhooks).toHaveLength(1);
    expect(list.body.data.webhooks[0]).toMatchObject({
      url: receiver.url('/bad'),
      events: ['link.created'],
      enabled: true,
    });
    expect((await call(t, 'GET', hooks(ws, '/whk_unknown'), team.owner)).status).toBe(404);
    const bad = await call(t, 'GET', hooks(ws, `/${hook.webhookId}/deliveries?limit=1000`), team.owner);
    expect(bad.status).toBe(400);
  });
});

describe('the dashboard: Workspace Settings > Webhooks and > Deliveries', () => {
  // Its own app and clock: the delivery here is retried until it gives up (about a day of fake
  // time), which must not move the clock the verifiers above depend on.
  const dashClock = fakeClock(Date.now());
  let d: TestApp;
  let ip = 0;

  beforeAll(async () => {
    d = await createTestApp({ clock: dashClock, env });
  });
  afterAll(async () => {
    await d?.close();
  });

  async function signedIn(email: string): Promise<PageBrowser> {
    ip += 1;
    const b = new PageBrowser(d.app, `198.51.100.${ip}`);
    const csrf = await b.csrfFrom('/signin');
    const res = await b.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
    expect(res.status).toBe(303);
    return b;
  }

  async function page(b: PageBrowser, path: string, status = 200): Promise<string> {
    const res = await b.get(path);
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(status);
    return html;
  }

  it('add (secret once), test, a failing delivery in both logs with its attempts, rotate, delete; hostile text escaped', async () => {
    const team = await teamWorkspace(d.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    const base = `/w/${ws}/settings/webhooks`;
    const hostile = '<script>alert("desc")</script>';
    const evil = '<img src=x onerror=alert(1)>';

    let html = await page(owner, base);
    expect(html).toContain(`action="${base}"`);
    const csrf = hiddenValue(html, 'csrf');
    const body = new URLSearchParams({ csrf, url: receiver.url('/dash'), description: hostile });
    body.append('events', 'link.created');
    body.append('events', 'recording.ready');
    const created = await owner.request(base, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
    html = await created.text();
    expect(created.status, html.slice(0, 300)).toBe(200);
    const secret = /value="(whsec_[^"]+)"/.exec(html)?.[1];
    expect(secret).toBeDefined();
    expect(html).not.toContain('<script>alert("desc")');
    expect(html).toContain('&lt;script&gt;');
    const endpointId = /\/settings\/webhooks\/(whk_[0-9a-z]+)"/.exec(html)?.[1];
    expect(endpointId).toBeDefined();
    // Never again: not on the list, not on the endpoint's page.
    expect(await page(owner, base)).not.toContain(secret!);
    const endpointPath = `${base}/${endpointId}`;
    expect(await page(owner, endpointPath)).not.toContain(secret!);

    // Bad input in the form: 400 beside the form, nothing added.
    const badForm = await owner.post(base, { csrf, url: 'http://example.com/', events: 'link.created' });
    const badHtml = await badForm.text();
    expect(badForm.status).toBe(400);
    expect(badHtml).toContain('must use https');
    const noEvents = await owner.post(base, { csrf, url: receiver.url('/dash2') });
    expect(noEvents.status).toBe(400);

    // Send a test event; the receiver keeps failing with a hostile body until the delivery gives up.
    receiver.answer([], { status: 500, body: `${evil}${'A'.repeat(3000)}` }, '/dash');
    const queued = await owner.post(`${endpointPath}/test`, { csrf });
    expect(queued.status).toBe(303);
    expect(queued.headers.get('location')).toContain('done=test-queued');
    await deliverDue(d.deps);
    html = await page(owner, endpointPath);
    expect(html).toContain('retrying');
    expect(html).toContain('500');
    for (let i = 0; i < 12; i++) {
      dashClock.advance(9 * 60 * 60_000);
      await deliverDue(d.deps);
    }
    expect(at('/dash')).toHaveLength(10);
    expect(verify(secret!, at('/dash')[0]!).type).toBe('webhook.test');

    html = await page(owner, endpointPath);
    expect(html).toContain('badge status-failed');
    expect(html).toContain('class="delivery-failed"');
    expect(html).toContain('The endpoint answered HTTP 500');
    const deliveryId = new RegExp(`/w/${ws}/settings/deliveries/(dlv_[0-9a-z]+)"`).exec(html)?.[1];
    expect(deliveryId).toBeDefined();

    // Workspace Settings > Deliveries: every channel, the failure highlighted.
    const log = await page(owner, `/w/${ws}/settings/deliveries`);
    expect(log).toContain('webhook.test');
    expect(log).toContain('class="delivery-failed"');
    expect(log).toContain('badge status-failed');
    expect(log).not.toContain('<script>alert("desc")');
    expect(log).toContain('&lt;script&gt;');
    expect(await page(owner, `/w/${ws}/settings/deliveries?status=failed&channel=webhook`)).toContain(
      deliveryId!,
    );
    expect(await page(owner, `/w/${ws}/settings/deliveries?status=delivered`)).not.toContain(deliveryId!);
    // Unknown filter values are ignored, not rendered.
    const odd = await page(owner, `/w/${ws}/settings/deliveries?status=${encodeURIComponent(evil)}`);
    expect(odd).not.toContain(evil);

    // The delivery's page: its ten attempts, the response body as text, cut at 1 KB.
    const detail = await page(owner, `/w/${ws}/settings/deliveries/${deliveryId}`);
    expect(detail).toContain('Attempts (10)');
    expect(detail).not.toContain(evil);
    expect(detail).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(detail).not.toContain('A'.repeat(1100));
    expect(detail).toContain(deliveryId!);
    // Another workspace's delivery is not found.
    const other = await teamWorkspace(d.deps);
    const stranger = await signedIn(other.owner.email);
    await page(stranger, `/w/${other.workspace.id}/settings/deliveries/${deliveryId}`, 404);

    // Rotate: the new secret is shown once; the old one is gone from the page.
    const rotated = await owner.post(`${endpointPath}/rotate`, { csrf });
    const rotatedHtml = await rotated.text();
    expect(rotated.status).toBe(200);
    const fresh = /value="(whsec_[^"]+)"/.exec(rotatedHtml)?.[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(secret);
    expect(await page(owner, endpointPath)).not.toContain(fresh!);

    // Disable, edit, delete (the confirmation is the button inside "Delete…").
    expect((await owner.post(`${endpointPath}/enabled`, { csrf, enabled: 'no' })).status).toBe(303);
    expect(await page(owner, endpointPath)).toContain('badge status-disabled');
    const edit = new URLSearchParams({ csrf, url: receiver.url('/dash-edited'), description: 'Edited' });
    edit.append('events', 'member.joined');
    const saved = await owner.request(endpointPath, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: edit.toString(),
    });
    expect(saved.status).toBe(303);
    html = await page(owner, endpointPath);
    expect(html).toContain('/dash-edited');
    expect(html).toContain('member.joined');
    expect((await owner.post(`${endpointPath}/delete`, { csrf })).status).toBe(303);
    expect(await page(owner, base)).not.toContain(endpointId!);
    // Its log stays in Deliveries.
    expect(await page(owner, `/w/${ws}/settings/deliveries`)).toContain(deliveryId!);
    // The audit log names the changes and the host only (a URL's path may hold a token).
    const audit = await page(owner, `/w/${ws}/audit`);
    const host = new URL(receiver.url()).host;
    expect(audit).toContain(`added a webhook endpoint on ${host}`);
    expect(audit).toContain(`rotated the signing secret of the webhook endpoint on ${host}`);
    expect(audit).toContain(`deleted the webhook endpoint on ${host}`);
    expect(audit).not.toContain(secret!);
  }, 60_000);

  it('members get the forbidden page and their forged POSTs change nothing', async () => {
    const team = await teamWorkspace(d.deps);
    const ws = team.workspace.id;
    const member = await signedIn(team.member.email);
    const base = `/w/${ws}/settings/webhooks`;
    const forbidden = await page(member, base, 403);
    expect(forbidden).toContain('admin or owner');
    await page(member, `/w/${ws}/settings/deliveries`, 403);
    const csrf = hiddenValue(await page(member, `/w/${ws}/settings`), 'csrf');
    const res = await member.post(base, { csrf, url: receiver.url('/member'), events: 'link.created' });
    expect(res.status).toBe(403);
    const rows = await d.store.db
      .selectFrom('webhook_endpoints')
      .select('id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(rows).toEqual([]);
  });
});
