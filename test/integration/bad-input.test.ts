import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Link } from '../../src/domain/types.ts';
import { inviteMember } from '../../src/services/invitations.ts';
import { createProject } from '../../src/services/projects.ts';
import { createWebhookEndpoint } from '../../src/services/webhooks.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { accessOf, link, verifiedDomain } from '../helpers/builders-links.ts';
import { makeRecording } from '../helpers/builders-recordings.ts';
import { authorizeInBrowser } from '../helpers/oauth-driver.ts';
import {
  authorizeParams,
  authorizePath,
  exchangeCode,
  grantIdOf,
  newClient,
  PageBrowser,
  type RegisteredClient,
  type Tokens,
  tokenRequest,
} from '../helpers/oauth-scenarios.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// S38: bad input at every boundary is refused with a 4xx naming the field, never a 500, and
// nothing in the database changes. The first table feeds the REST API malformed JSON, wrong types,
// oversized bodies and strings, unknown fields and out-of-range paging. The others are the text
// rule (src/domain/text-rules.ts) tried as an attacker would, on every surface: a NUL (which
// PostgreSQL's text type cannot hold: it was a 500 there, and SQLite stored it), another C0 control
// character in a single-line field, an unpaired UTF-16 surrogate (which both drivers silently turn
// into U+FFFD) and an over-long value — in the REST API (every parameter and body field of its
// OpenAPI document), the OAuth endpoints, every dashboard form and page address, the recorder's
// upload API and page, and every MCP tool argument.
//
// An unpaired surrogate can only arrive escaped in JSON ("\ud800"): in a URL or a form body it would
// have to be percent-encoded UTF-8, which has no such sequence, and the decoders substitute U+FFFD
// for the bytes that would spell one (WHATWG URL and Encoding). So query strings and forms are
// tried with NUL, another control and length, JSON bodies and MCP arguments with all four.

const NUL = 'a\u0000b';
const BELL = 'a\u0007b';
const ESC = 'a\u001b[2Jb';
const LONE = 'a\ud800b';
const PASSWORD = 'correct horse battery';
const REDIRECT = 'http://127.0.0.1:50999/callback';
/** Characters an OAuth error_description may hold (RFC 6749 §5.2). */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

interface Case {
  name: string;
  method: 'POST' | 'PUT' | 'DELETE' | 'GET';
  path: string;
  body?: string;
  contentType?: string;
  /** The field the error message must name. */
  field: string;
}

/** One request of a surface table and what its answer must look like (a failure's text, or null). */
interface Probe {
  name: string;
  send: () => Promise<Response>;
  check: (res: Response, text: string) => string | null;
}

/** A REST or recorder API refusal: a 4xx JSON error whose message names the field. */
function apiRefusal(field: string) {
  return (res: Response, text: string): string | null => {
    if (res.status < 400 || res.status >= 500) return `status ${res.status}: ${text.slice(0, 160)}`;
    let body: { error?: string; message?: string };
    try {
      body = JSON.parse(text);
    } catch {
      return `not JSON: ${text.slice(0, 80)}`;
    }
    return body.error && body.message?.includes(field) ? null : `${res.status} ${text.slice(0, 160)}`;
  };
}

/** An OAuth JSON refusal (RFC 6749 §5.2): 4xx, one of `codes`, a description naming the field. */
function oauthRefusal(field: string, codes = ['invalid_request']) {
  return (res: Response, text: string): string | null => {
    if (res.status < 400 || res.status >= 500) return `status ${res.status}: ${text.slice(0, 160)}`;
    let body: { error?: string; error_description?: string };
    try {
      body = JSON.parse(text);
    } catch {
      return `not JSON: ${text.slice(0, 80)}`;
    }
    if (!codes.includes(body.error ?? '')) return `error ${body.error}: ${body.error_description}`;
    if (!body.error_description?.includes(field)) return `description does not name ${field}: ${text}`;
    if (!DESCRIPTION_CHARS.test(body.error_description))
      return `description has characters §5.2 forbids: ${text}`;
    return null;
  };
}

/** A local 400 page naming the field. */
function pageRefusal(field: string, status = 400) {
  return (res: Response, text: string): string | null => {
    if (res.status !== status) return `status ${res.status}: ${text.replace(/\s+/g, ' ').slice(0, 200)}`;
    if (!(res.headers.get('content-type') ?? '').startsWith('text/html')) return 'not an HTML page';
    return text.includes(field) ? null : `the page does not name ${field}: ${text.slice(0, 300)}`;
  };
}

/** A 4xx page (a form shown again with its error, or a refusal page), whatever its words. */
function anyPageRefusal(res: Response, text: string): string | null {
  return res.status >= 400 && res.status < 500 ? null : `status ${res.status}: ${text.slice(0, 160)}`;
}

/** The authorization error sent to the validated redirect_uri (RFC 6749 §4.1.2.1), naming the field. */
function redirectedRefusal(field: string) {
  return (res: Response): string | null => {
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) return `status ${res.status}, no redirect`;
    const url = new URL(location);
    if (`${url.origin}${url.pathname}` !== REDIRECT) return `redirected elsewhere: ${location}`;
    if (url.searchParams.get('error') !== 'invalid_request') return `error ${url.searchParams.get('error')}`;
    const description = url.searchParams.get('error_description') ?? '';
    if (!description.includes(field)) return `description does not name ${field}: ${description}`;
    if (url.searchParams.has('code')) return 'a code was issued';
    return DESCRIPTION_CHARS.test(description)
      ? null
      : `description has characters §5.2 forbids: ${description}`;
  };
}

async function runProbes(probes: Probe[]): Promise<string[]> {
  const failures: string[] = [];
  for (const probe of probes) {
    const res = await probe.send();
    const text = await res.text();
    const failure = probe.check(res, text);
    if (failure) failures.push(`${probe.name}: ${failure}`);
  }
  return failures;
}

/** "x" repeated one past the schema's maxLength, or undefined when the schema has none. */
function overLong(schema: { maxLength?: number } | undefined): string | undefined {
  return schema?.maxLength === undefined ? undefined : 'x'.repeat(schema.maxLength + 1);
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  anyOf?: JsonSchema[];
  $ref?: string;
};

function types(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(types);
  return schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
}

/**
 * The bad values for one JSON property: for a string NUL, another control, an unpaired surrogate
 * and one character too many; for an object (meta) the same inside it and in a key; for an array of
 * strings a NUL in an element. A string without a maxLength is itself a failure (S38: every string
 * input has a length cap); an enum needs none.
 */
function badJsonValues(name: string, schema: JsonSchema, missingCaps: string[]): unknown[] {
  const kinds = types(schema);
  if (kinds.includes('string')) {
    // A nullable string is `anyOf: [string, null]` in the MCP tool schemas.
    const text = schema.anyOf?.find((branch) => types(branch).includes('string')) ?? schema;
    const long = overLong(text);
    if (long === undefined && !text.enum) missingCaps.push(name);
    return [NUL, BELL, LONE, ...(long === undefined ? [] : [long])];
  }
  if (kinds.includes('object')) return [{ k: NUL }, { k: { deep: [ESC] } }, { k: LONE }, { [NUL]: 1 }];
  if (kinds.includes('array') && schema.items && types(schema.items).includes('string'))
    return [[NUL], [LONE]];
  return [];
}

describe(`S38: bad input is refused with a 4xx naming the field, changing nothing [${testDialect}]`, () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof teamWorkspace>>;
  let cases: Case[];
  let ws: string;
  let existing: Link;
  let reusable: Link;
  let host: string;
  let ids: Record<string, string>;
  let owner: PageBrowser;
  let client: RegisteredClient;
  let tokens: Tokens;
  let pendingCode: { code: string; verifier: string };

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        API_RATE_LIMIT_PER_MINUTE: '100000',
        SIGNIN_RATE_LIMIT_PER_MINUTE: '100000',
        DCR_RATE_LIMIT_PER_MINUTE: '100000',
        DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: '100000',
        // The webhook fixture points at a loopback address.
        ALLOW_PRIVATE_NETWORK_FETCH: 'true',
      },
    });
    team = await teamWorkspace(t.deps);
    const ownerAccess = await accessOf(t.deps, team.owner, team.workspace.id);
    const domain = await verifiedDomain(t.deps, ownerAccess);
    host = domain.host;
    existing = await link(t.deps, ownerAccess, { domainId: domain.id, meta: { ticket: 1 } });
    reusable = await link(t.deps, ownerAccess, { domainId: domain.id, reusable: true });
    ws = `/api/v1/public/workspace/${team.workspace.id}`;

    // Fixtures for the other surfaces, so that each refused request names a real object: without
    // the rule it would have reached the service.
    const recording = await makeRecording(t.deps, existing.id);
    const project = await createProject(t.deps, ownerAccess, { title: 'Mobile' });
    const { endpoint } = await createWebhookEndpoint(t.deps, ownerAccess, {
      url: 'http://127.0.0.1:9/hook',
      events: ['recording.ready'],
    });
    const { invitation } = await inviteMember(t.deps, ownerAccess, {
      email: 'new@example.com',
      role: 'member',
    });
    // The owner connects an OAuth client through the real forms; the browser stays signed in.
    owner = new PageBrowser(t.app, '198.51.100.77');
    client = await newClient(t, { client_name: 'Bad Input Client', redirect_uris: [REDIRECT] });
    const credentials = { email: team.owner.email, password: PASSWORD };
    const first = authorizeParams(client.client_id, REDIRECT);
    const callback = await authorizeInBrowser(owner, authorizePath(first.params), credentials);
    tokens = await exchangeCode(t, {
      clientId: client.client_id,
      code: callback.searchParams.get('code')!,
      verifier: first.verifier,
      redirectUri: REDIRECT,
    });
    // A second code, not exchanged: the token cases carry it, so only the bad field stops them.
    const second = authorizeParams(client.client_id, REDIRECT);
    const again = await authorizeInBrowser(owner, authorizePath(second.params), credentials);
    pendingCode = { code: again.searchParams.get('code')!, verifier: second.verifier };
    ids = {
      workspaceId: team.workspace.id,
      ws: team.workspace.id,
      linkId: existing.id,
      recordingId: recording.id,
      projectId: project.id,
      domainId: domain.id,
      keyId: team.owner.key.id,
      webhookId: endpoint.id,
      invitationId: invitation.id,
      memberId: team.memberIds.member!,
      grantId: grantIdOf(tokens.access_token),
      provider: 'slack',
    };

    const json = (value: unknown) => JSON.stringify(value);
    const longString = 'x'.repeat(20_000);
    const validCreate = { domainId: domain.id };
    cases = [];
    // Every endpoint that takes a JSON body.
    const bodies: Array<{
      method: 'POST' | 'PUT';
      path: string;
      valid: Record<string, unknown>;
      fields: Record<string, unknown[]>;
    }> = [
      {
        method: 'POST',
        path: `${ws}/links`,
        valid: validCreate,
        fields: {
          domainId: [123, null, '', longString],
          projectId: [42, longString],
          linkReference: [false, longString],
          linkReusable: ['yes', 1],
          meta: ['text', [1, 2], { big: 'y'.repeat(11_000) }],
        },
      },
      {
        method: 'PUT',
        path: `${ws}/links/${existing.id}`,
        valid: { linkTitle: 'ok' },
        fields: {
          linkTitle: [5, longString],
          linkReusable: ['no'],
          linkProviderType: ['email', 3],
          linkProviderId: [{}, longString],
          linkProviderRef: [[], longString],
          meta: [7, { big: 'y'.repeat(11_000) }],
        },
      },
      {
        method: 'POST',
        path: '/api/v1/public/api-keys',
        valid: {},
        fields: { name: [1, 'n'.repeat(101)], expiresIn: ['1y', 30, null] },
      },
    ];
    for (const endpoint of bodies) {
      const label = `${endpoint.method} ${endpoint.path.replace(/[a-z]+_[0-9a-z]{26}/g, ':id')}`;
      for (const [field, values] of Object.entries(endpoint.fields)) {
        for (const value of values) {
          cases.push({
            name: `${label} ${field}=${JSON.stringify(value).slice(0, 30)}`,
            method: endpoint.method,
            path: endpoint.path,
            body: json({ ...endpoint.valid, [field]: value }),
            field,
          });
        }
      }
      cases.push(
        {
          name: `${label} malformed JSON`,
          method: endpoint.method,
          path: endpoint.path,
          body: '{"domainId": ',
          field: 'body',
        },
        {
          name: `${label} a JSON array`,
          method: endpoint.method,
          path: endpoint.path,
          body: '[1,2]',
          field: 'body',
        },
        {
          name: `${label} not JSON`,
          method: endpoint.method,
          path: endpoint.path,
          body: 'domainId=x',
          contentType: 'application/x-www-form-urlencoded',
          field: 'body',
        },
        { name: `${label} no body`, method: endpoint.method, path: endpoint.path, field: 'body' },
        {
          name: `${label} unknown field`,
          method: endpoint.method,
          path: endpoint.path,
          body: json({ ...endpoint.valid, isAdmin: true }),
          field: 'isAdmin',
        },
        {
          name: `${label} oversized body`,
          method: endpoint.method,
          path: endpoint.path,
          body: json({ ...endpoint.valid, pad: 'z'.repeat(70_000) }),
          field: 'body',
        },
      );
    }
    // Path parameters and paging of lists.
    cases.push(
      {
        name: 'DELETE a link with an oversized id',
        method: 'DELETE',
        path: `${ws}/links/${'l'.repeat(300)}`,
        field: 'linkId',
      },
      {
        name: 'DELETE a recording with an oversized id',
        method: 'DELETE',
        path: `${ws}/recordings/${'r'.repeat(300)}`,
        field: 'recordingId',
      },
      {
        name: 'rotate a key with an oversized id',
        method: 'POST',
        path: `/api/v1/public/api-keys/${'k'.repeat(300)}/rotate`,
        field: 'keyId',
      },
    );
    for (const list of [`${ws}/links`, `${ws}/recordings`, `${ws}/projects`, '/api/v1/public/workspaces']) {
      for (const query of ['page=0', 'page=-1', 'page=abc', 'per_page=0', 'per_page=1000', 'per_page=2.5']) {
        cases.push({
          name: `GET ${list.replace(/ws_[0-9a-z]{26}/, ':id')}?${query}`,
          method: 'GET',
          path: `${list}?${query}`,
          field: query.split('=')[0]!,
        });
      }
    }
  });
  afterAll(async () => t.close());

  // Everything a refused request could have changed. Left out: rate-limit counters and leases
  // (counting the attempt is the point), signing keys, and the bookkeeping of the caller's own
  // credentials (a key's or grant's last use, a session's last sighting), which are not what the
  // requests asked to change. Deliveries by id and type: a worker may be sending them meanwhile.
  const IGNORED_COLUMNS: Record<string, string[]> = {
    api_keys: ['last_used_at'],
    oauth_grants: ['last_used_at'],
    browser_sessions: ['last_seen_at', 'expires_at'],
  };
  const TABLES = [
    'users',
    'workspaces',
    'members',
    'invitations',
    'projects',
    'domains',
    'links',
    'recordings',
    'recording_resources',
    'api_keys',
    'setup_tokens',
    'workspace_usage',
    'webhook_endpoints',
    'workspace_integrations',
    'notification_preferences',
    'oauth_clients',
    'oauth_grants',
    'oauth_codes',
    'oauth_refresh_tokens',
    'oauth_pending_authorizations',
    'browser_sessions',
    'audit_events',
  ] as const;

  async function snapshot(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of TABLES) {
      const rows = (await t.store.db.selectFrom(table).selectAll().execute()) as Array<
        Record<string, unknown>
      >;
      out[table] = rows
        .map((row) => {
          const copy = { ...row };
          for (const column of IGNORED_COLUMNS[table] ?? []) delete copy[column];
          return JSON.stringify(copy);
        })
        .sort();
    }
    const deliveries = await t.store.db.selectFrom('deliveries').select(['id', 'event_type']).execute();
    out.deliveries = deliveries.map((d) => `${d.id} ${d.event_type}`).sort();
    return out;
  }

  it('answers every case with a 4xx naming the field, never a 500, and changes nothing', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const c of cases) {
      const headers: Record<string, string> = { ...team.owner.headers };
      if (c.body !== undefined || c.method === 'POST' || c.method === 'PUT')
        headers['content-type'] = c.contentType ?? 'application/json';
      const res = await t.request(c.path, {
        method: c.method,
        headers,
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      const text = await res.text();
      let body: { error?: string; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {
        failures.push(`${c.name}: not JSON: ${text.slice(0, 80)}`);
        continue;
      }
      if (res.status < 400 || res.status >= 500) failures.push(`${c.name}: status ${res.status}`);
      else if (!body.error || !body.message?.includes(c.field))
        failures.push(`${c.name}: ${res.status} ${text.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(60);
    expect(await snapshot()).toEqual(before);
  });

  /** The REST and recorder operations of the OpenAPI document, with their JSON body schemas resolved. */
  async function operations() {
    const doc = (await (await t.request('/api/v1/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: Array<{ in: string; name: string; schema: JsonSchema }>;
            requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
          }
        >
      >;
      components: { schemas: Record<string, JsonSchema> };
    };
    const resolve = (schema: JsonSchema | undefined) =>
      schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
    return Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
      })),
    );
  }

  it('REST: every string parameter and JSON field of the OpenAPI document refuses NUL, controls, unpaired surrogates and over-long values', async () => {
    // Schema-valid bodies (they need not pass the service: the bad field must stop them first).
    const validBodies: Record<string, Record<string, unknown>> = {
      'POST /public/workspace/{workspaceId}/links': { domainId: ids.domainId! },
      'PUT /public/workspace/{workspaceId}/links/{linkId}': { linkTitle: 'ok' },
      'POST /public/api-keys': {},
      'POST /public/workspace/{workspaceId}/webhooks': {
        url: 'https://hooks.example.com/u',
        events: ['recording.ready'],
      },
      'PUT /public/workspace/{workspaceId}/webhooks/{webhookId}': { enabled: true },
      'PUT /public/workspace/{workspaceId}/integrations/{provider}': {},
    };
    const probes: Probe[] = [];
    const missingCaps: string[] = [];
    const uncovered: string[] = [];
    const restOps = (await operations()).filter((op) => op.path.startsWith('/public/'));
    for (const op of restOps) {
      const label = `${op.method} ${op.path}`;
      const fill = (override: Record<string, string> = {}) =>
        `/api/v1${op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
          if (override[name] !== undefined) return override[name]!;
          const schema = op.params.find((p) => p.name === name)?.schema;
          const value = ids[name] ?? (schema?.enum?.[0] as string | undefined);
          if (value === undefined) uncovered.push(`${label}: no value for {${name}}`);
          return encodeURIComponent(value ?? '');
        })}`;
      const send = (path: string, body?: unknown) => () =>
        t.request(path, {
          method: op.method,
          headers: {
            ...team.owner.headers,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      const base = op.body ? validBodies[label] : undefined;
      if (op.body && !base) uncovered.push(`${label}: no valid body in the table`);
      for (const param of op.params) {
        if (param.in !== 'path' && param.in !== 'query') continue;
        if (!types(param.schema).includes('string')) continue; // numbers are coerced and range-checked
        const long = overLong(param.schema);
        if (long === undefined && !param.schema.enum) missingCaps.push(`${label} ${param.name}`);
        for (const [what, raw] of [
          ['NUL', '%00'],
          ['BEL', '%07'],
          ['over-long', long],
        ] as const) {
          if (raw === undefined) continue;
          const path = param.in === 'path' ? fill({ [param.name]: raw }) : `${fill()}?${param.name}=${raw}`;
          probes.push({
            name: `${label} ${param.in} ${param.name} ${what}`,
            send: send(path, base),
            check: apiRefusal(param.name),
          });
        }
      }
      for (const [name, schema] of Object.entries(op.body?.properties ?? {})) {
        for (const value of badJsonValues(`${label} ${name}`, schema, missingCaps)) {
          probes.push({
            name: `${label} ${name}=${JSON.stringify(value).slice(0, 24)}`,
            send: send(fill(), { ...base, [name]: value }),
            check: apiRefusal(name),
          });
        }
      }
    }
    expect(uncovered).toEqual([]);
    expect(missingCaps).toEqual([]);
    expect(probes.length).toBeGreaterThan(150);
    const before = await snapshot();
    expect(await runProbes(probes)).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // The rule is no wider than it says: tab, CR and LF stay allowed where text may span lines.
    const multiLine = await t.request(`${ws}/webhooks/${ids.webhookId}`, {
      method: 'PUT',
      headers: { ...team.owner.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'line one\r\n\tline two' }),
    });
    expect(multiLine.status, await multiLine.text()).toBe(200);
    const emoji = await t.request(`${ws}/links/${existing.id}`, {
      method: 'PUT',
      headers: { ...team.owner.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ linkTitle: 'Ticket 😀 (paired surrogates are fine)' }),
    });
    expect(emoji.status, await emoji.text()).toBe(200);
  });

  it('OAuth: /register, /authorize, /token and /revoke refuse bad text with invalid_request (or the registration codes), naming the parameter', async () => {
    const probes: Probe[] = [];
    // Registration (RFC 7591): JSON, so unpaired surrogates too; RFC 7591 §3.2.2 codes.
    const registration = {
      client_name: 'Fine',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    };
    const register = (body: unknown) => () =>
      t.request('/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const metadataFields: Record<string, unknown[]> = {
      client_name: [NUL, BELL, LONE, 'n'.repeat(101)],
      logo_uri: [`https://example.com/${NUL}`, `https://example.com/${LONE}`],
      client_uri: [`https://example.com/${BELL}`],
      software_id: [NUL, LONE],
      software_version: [BELL],
      scope: [NUL, LONE],
      application_type: [NUL],
      token_endpoint_auth_method: [NUL],
      grant_types: [[NUL]],
    };
    for (const [field, values] of Object.entries(metadataFields)) {
      for (const value of values) {
        probes.push({
          name: `/register ${field}=${JSON.stringify(value).slice(0, 24)}`,
          send: register({ ...registration, [field]: value }),
          check: oauthRefusal(field, ['invalid_client_metadata']),
        });
      }
    }
    for (const uri of [`http://127.0.0.1/${NUL}`, `http://127.0.0.1/${LONE}`, `http://127.0.0.1/${BELL}`]) {
      probes.push({
        name: `/register redirect_uris=${JSON.stringify(uri)}`,
        send: register({ ...registration, redirect_uris: [uri] }),
        check: oauthRefusal('redirect_uris[0]', ['invalid_redirect_uri']),
      });
    }

    // The authorization request: client_id and redirect_uri are answered on our own page (S1);
    // once the redirect is trusted, the error goes to the client with invalid_request.
    const authorize = (override: Record<string, string>) => () => {
      const { params } = authorizeParams(client.client_id, REDIRECT);
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...params, ...override })) if (v !== undefined) query.set(k, v);
      return owner.get(`/authorize?${query}`);
    };
    for (const field of ['client_id', 'redirect_uri']) {
      for (const [what, value] of [
        ['NUL', NUL],
        ['BEL', BELL],
        ['over-long', 'x'.repeat(5000)],
      ] as const) {
        probes.push({
          name: `/authorize ${field} ${what}`,
          send: authorize({ [field]: value }),
          check: pageRefusal(field),
        });
      }
    }
    for (const field of [
      'state',
      'scope',
      'code_challenge',
      'response_type',
      'code_challenge_method',
      'resource',
    ]) {
      for (const [what, value] of [
        ['NUL', NUL],
        ['BEL', BELL],
        ['over-long', 'x'.repeat(5000)],
      ] as const) {
        probes.push({
          name: `/authorize ${field} ${what}`,
          send: authorize({ [field]: value }),
          check: redirectedRefusal(field),
        });
      }
    }
    probes.push({
      name: '/authorize/resume pending NUL',
      send: () => owner.get(`/authorize/resume?pending=${encodeURIComponent(NUL)}`),
      check: pageRefusal('pending'),
    });
    probes.push({
      name: '/authorize/decision pending NUL',
      send: async () => {
        const csrf = await owner.csrfFrom('/account');
        return owner.post('/authorize/decision', { csrf, pending: NUL, decision: 'allow' });
      },
      check: pageRefusal('pending'),
    });

    // The token and revocation forms: a real pending code and real tokens, one field spoiled.
    const exchange = {
      grant_type: 'authorization_code',
      code: pendingCode.code,
      code_verifier: pendingCode.verifier,
      client_id: client.client_id,
      redirect_uri: REDIRECT,
    };
    const refreshGrant = {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
    };
    const form =
      (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      () =>
        path === '/token'
          ? tokenRequest(t.app, fields, headers)
          : t.request(path, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
              body: new URLSearchParams(fields).toString(),
            });
    const spoiled: Array<[string, Record<string, string>, string[]]> = [
      ['/token', exchange, ['grant_type', 'code', 'code_verifier', 'client_id', 'redirect_uri', 'resource']],
      ['/token', refreshGrant, ['refresh_token', 'scope', 'resource']],
      [
        '/revoke',
        { token: tokens.refresh_token, client_id: client.client_id },
        ['token', 'token_type_hint', 'client_id'],
      ],
    ];
    for (const [path, valid, fields] of spoiled) {
      for (const field of fields) {
        for (const [what, value] of [
          ['NUL', NUL],
          ['BEL', BELL],
          ['over-long', 'x'.repeat(5000)],
        ] as const) {
          probes.push({
            name: `${path} (${valid.grant_type ?? 'revoke'}) ${field} ${what}`,
            send: form(path, { ...valid, [field]: value }),
            check: oauthRefusal(field),
          });
        }
      }
    }
    const basic = (id: string) => `Basic ${Buffer.from(`${id}:secret`).toString('base64')}`;
    probes.push(
      {
        name: '/token Basic client_id with NUL',
        send: form(
          '/token',
          { ...exchange, client_id: '' },
          { authorization: basic(encodeURIComponent(NUL)) },
        ),
        check: oauthRefusal('client_id'),
      },
      {
        name: '/token Basic credentials with a stray %',
        send: form(
          '/token',
          { grant_type: 'authorization_code', code: 'x' },
          { authorization: basic('%E0%A4%A') },
        ),
        check: oauthRefusal('Basic', ['invalid_client']),
      },
      {
        name: '/token a parameter name with NUL',
        send: () =>
          t.request('/token', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `${new URLSearchParams(exchange)}&x%00y=1`,
          }),
        check: oauthRefusal('parameter name'),
      },
    );
    const before = await snapshot();
    expect(await runProbes(probes)).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // The pending code survived every spoiled exchange: only the bad field stopped them.
    const res = await tokenRequest(t.app, exchange);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('dashboard and pages: every POST form refuses a bad field with a 400 page naming it, and every page address a bad parameter', async () => {
    const w = `/w/${ids.ws}`;
    // Every form of the dashboard and the sign-in pages: a real path and a field it reads (`confirm`
    // where it reads none but the CSRF token: the rule covers every field a form sends).
    // Multi-line fields (the link metadata, a webhook description) are tried with ESC, which they
    // refuse too; single-line ones with BEL.
    const forms: Array<{ path: string; field: string; extra?: Record<string, string>; anonymous?: true }> = [
      { path: '/w', field: 'name' },
      { path: `${w}/links`, field: 'title', extra: { domain: ids.domainId! } },
      { path: `${w}/links`, field: 'meta' },
      { path: `${w}/links/${ids.linkId}`, field: 'title' },
      { path: `${w}/links/${ids.linkId}/delete`, field: 'confirm' },
      { path: `${w}/links/${ids.linkId}/restore`, field: 'confirm' },
      { path: `${w}/recordings/${ids.recordingId}/expiry`, field: 'expires_on' },
      { path: `${w}/recordings/${ids.recordingId}/delete`, field: 'confirm' },
      { path: `${w}/recordings/${ids.recordingId}/restore`, field: 'confirm' },
      { path: `${w}/settings/rename`, field: 'name' },
      { path: `${w}/settings/delete`, field: 'confirm' },
      { path: `${w}/settings/projects`, field: 'title' },
      { path: `${w}/settings/projects/${ids.projectId}`, field: 'title' },
      { path: `${w}/settings/projects/${ids.projectId}/delete`, field: 'confirm' },
      { path: `${w}/settings/domains`, field: 'url' },
      { path: `${w}/settings/domains/${ids.domainId}/verify`, field: 'confirm' },
      { path: `${w}/settings/domains/${ids.domainId}/delete`, field: 'confirm' },
      { path: `${w}/settings/team/invite`, field: 'email', extra: { role: 'member' } },
      { path: `${w}/settings/team/invitations/${ids.invitationId}/revoke`, field: 'confirm' },
      { path: `${w}/settings/team/members/${ids.memberId}/role`, field: 'role' },
      { path: `${w}/settings/team/members/${ids.memberId}/remove`, field: 'confirm' },
      { path: `${w}/settings/team/transfer`, field: 'member_id', extra: { confirm: 'yes' } },
      { path: `${w}/settings/webhooks`, field: 'url', extra: { events: 'recording.ready' } },
      { path: `${w}/settings/webhooks`, field: 'description' },
      { path: `${w}/settings/webhooks/${ids.webhookId}`, field: 'description' },
      { path: `${w}/settings/webhooks/${ids.webhookId}/enabled`, field: 'enabled' },
      { path: `${w}/settings/webhooks/${ids.webhookId}/rotate`, field: 'confirm' },
      { path: `${w}/settings/webhooks/${ids.webhookId}/test`, field: 'confirm' },
      { path: `${w}/settings/webhooks/${ids.webhookId}/delete`, field: 'confirm' },
      { path: `${w}/settings/integrations/slack`, field: 'webhookUrl' },
      { path: `${w}/settings/integrations/slack/disconnect`, field: 'confirm' },
      { path: '/account/developers', field: 'name', extra: { expiry: 'never' } },
      { path: `/account/developers/${ids.keyId}/rotate`, field: 'confirm' },
      { path: `/account/developers/${ids.keyId}/revoke`, field: 'confirm' },
      { path: `/account/connections/${ids.grantId}/revoke`, field: 'confirm' },
      { path: '/account/notifications', field: 'ws' },
      { path: '/invite/some-token', field: 'confirm' },
      { path: '/signout', field: 'confirm' },
      { path: '/signin', field: 'email', extra: { password: PASSWORD }, anonymous: true },
      { path: '/signin', field: 'password', extra: { email: team.owner.email }, anonymous: true },
      {
        path: '/signup',
        field: 'name',
        extra: { email: 'x@example.com', password: PASSWORD },
        anonymous: true,
      },
      { path: '/signup', field: 'email', extra: { password: PASSWORD }, anonymous: true },
      { path: '/setup/some-token', field: 'email', anonymous: true },
    ];
    const MULTI_LINE = new Set(['meta', 'description']);
    const anonymous = new PageBrowser(t.app, '198.51.100.78');
    const csrf = {
      owner: await owner.csrfFrom('/account'),
      anonymous: await anonymous.csrfFrom('/signin'),
    };
    const probes: Probe[] = [];
    for (const form of forms) {
      const browser = form.anonymous ? anonymous : owner;
      const token = form.anonymous ? csrf.anonymous : csrf.owner;
      const control = MULTI_LINE.has(form.field) ? ESC : BELL;
      for (const [what, value] of [
        ['NUL', NUL],
        ['control', control],
      ] as const) {
        probes.push({
          name: `POST ${form.path} ${form.field} ${what}`,
          send: () => browser.post(form.path, { ...form.extra, csrf: token, [form.field]: value }),
          check: pageRefusal(`The field ${form.field} `),
        });
      }
      // A path parameter with a NUL in it, in place of each real id of the path.
      for (const id of Object.values(ids)) {
        if (!form.path.includes(`/${id}`)) continue;
        const path = form.path.replace(`/${id}`, `/${encodeURIComponent(NUL)}`);
        probes.push({
          name: `POST ${path} (NUL in the address)`,
          send: () => browser.post(path, { ...form.extra, csrf: token }),
          check: pageRefusal('must not contain NUL'),
        });
      }
    }
    // The metadata textarea holds JSON, whose escapes can spell what the form rule refuses.
    for (const [path, extra] of [
      [`${w}/links`, { domain: ids.domainId! }],
      [`${w}/links/${ids.linkId}`, {}],
    ] as const) {
      for (const meta of ['{"k":"a\\u0000b"}', '{"k":"a\\ud800b"}', '{"a\\u0007":1}']) {
        probes.push({
          name: `POST ${path} meta=${meta}`,
          send: () => owner.post(path, { ...extra, csrf: csrf.owner, meta }),
          // The form again, the error beside the metadata field.
          check: pageRefusal('Metadata '),
        });
      }
    }
    // Over-long text in the forms that store it: a 4xx (the form again, with its error), nothing saved.
    for (const [path, field, extra] of [
      ['/w', 'name', {}],
      [`${w}/settings/rename`, 'name', {}],
      [`${w}/settings/projects`, 'title', {}],
      [`${w}/links`, 'title', { domain: ids.domainId! }],
      [`${w}/links/${ids.linkId}`, 'title', {}],
      [`${w}/settings/team/invite`, 'email', { role: 'member' }],
      [`${w}/settings/webhooks/${ids.webhookId}`, 'description', {}],
      ['/account/developers', 'name', { expiry: 'never' }],
    ] as const) {
      probes.push({
        name: `POST ${path} ${field} over-long`,
        send: () => owner.post(path, { ...extra, csrf: csrf.owner, [field]: 'x'.repeat(5000) }),
        check: anyPageRefusal,
      });
    }

    // Every POST route of the app outside the APIs is in the table above (a new form must be added).
    const apiPrefixes = ['/api/', '/mcp', '/token', '/revoke', '/register', '/authorize/'];
    const posted = new Set(
      t.app.routes
        .filter((r) => r.method === 'POST' && !apiPrefixes.some((p) => r.path.startsWith(p)))
        .map((r) => r.path),
    );
    // Route patterns and the table's paths, each parameter (or the id standing in for it) as ':_'.
    const standIns = new Set([...Object.values(ids), 'some-token', 'slack']);
    const normal = (path: string) =>
      path
        .split('/')
        .map((segment) => (segment.startsWith(':') || standIns.has(segment) ? ':_' : segment))
        .join('/');
    const coveredPatterns = new Set(forms.map((f) => normal(f.path)));
    expect([...posted].filter((p) => !coveredPatterns.has(normal(p)))).toEqual([]);

    // The address of every page with parameters: each parameter a NUL in turn, and a query value
    // with a control character.
    const pages = [
      ...new Set(
        t.app.routes
          .filter(
            (r) =>
              r.method === 'GET' && r.path.includes('/:') && !apiPrefixes.some((p) => r.path.startsWith(p)),
          )
          .filter((r) => !r.path.startsWith('/files/') && !r.path.startsWith('/r/'))
          .map((r) => r.path),
      ),
    ];
    expect(pages.length).toBeGreaterThan(10);
    for (const page of pages) {
      // The workspace is real; the other parameters need not be: the query stops the request first.
      const real = page.replace(/:(\w+)/g, (_, name: string) => (name === 'ws' ? ids.ws! : 'x'));
      probes.push({
        name: `GET ${page} (NUL in a parameter)`,
        send: () => owner.get(page.replace(/:\w+/, encodeURIComponent(NUL)).replace(/:(\w+)/g, 'x')),
        check: pageRefusal('must not contain NUL'),
      });
      probes.push({
        name: `GET ${page}?q=BEL`,
        send: () => owner.get(`${real}?q=${encodeURIComponent(BELL)}`),
        check: pageRefusal('The field q '),
      });
    }
    probes.push(
      {
        // Not refused: a return_to that is not a clean same-origin path goes home (S4).
        name: 'GET /signin?return_to=NUL',
        send: () => anonymous.get(`/signin?return_to=${encodeURIComponent(`/${NUL}`)}`),
        check: (res, text) =>
          res.status === 200 && text.includes('name="return_to" value="/"') ? null : `status ${res.status}`,
      },
      {
        name: `GET ${w}/recordings?project=NUL`,
        send: () => owner.get(`${w}/recordings?project=${encodeURIComponent(NUL)}`),
        check: pageRefusal('The field project '),
      },
    );
    const before = await snapshot();
    expect(await runProbes(probes)).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // The same owner, the same forms: good text still goes through.
    const renamed = await owner.post(`${w}/settings/rename`, { csrf: csrf.owner, name: 'Acme Support (EU)' });
    expect(renamed.status).toBe(303);
  });

  it('recorder: the upload API refuses bad text in its JSON and its addresses, and the page a bad link id', async () => {
    const api = '/api/v1/recorder';
    let address = 0;
    // Each start from its own address: the per-address start limit is not what is being tried.
    const from = async (path: string, init: RequestInit) => {
      address += 1;
      return t.app.request(path, init, {
        incoming: { socket: { remoteAddress: `203.0.113.${(address % 250) + 1}` } },
      });
    };
    const started = await from(`${api}/links/${reusable.id}/recordings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ durationMs: 1000, video: { type: 'video/webm', size: 10 } }),
    });
    expect(started.status, await started.clone().text()).toBe(201);
    const { recordingId, uploadToken } = (
      (await started.json()) as { data: { recordingId: string; uploadToken: string } }
    ).data;
    const upload = { authorization: `Bearer ${uploadToken}`, origin: `https://${host}` };

    const probes: Probe[] = [];
    const validBodies: Record<string, Record<string, unknown>> = {
      'POST /recorder/links/{linkId}/recordings': {
        durationMs: 1000,
        video: { type: 'video/webm', size: 10 },
      },
      'PUT /recorder/recordings/{recordingId}/metadata': {},
    };
    const values: Record<string, string> = { linkId: reusable.id, recordingId };
    const missingCaps: string[] = [];
    for (const op of (await operations()).filter((o) => o.path.startsWith('/recorder/'))) {
      const label = `${op.method} ${op.path}`;
      if (op.path === '/recorder/uploads') continue; // tus: its id is the token's recording, checked first
      const fill = (override: Record<string, string> = {}) =>
        `/api/v1${op.path.replace(/\{(\w+)\}/g, (_, name: string) => override[name] ?? values[name]!)}`;
      const send = (path: string, body?: unknown) => () =>
        from(path, {
          method: op.method,
          headers: { ...upload, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      for (const param of op.params.filter((p) => p.in === 'path')) {
        for (const [what, raw] of [
          ['NUL', '%00'],
          ['BEL', '%07'],
          ['over-long', 'x'.repeat(300)],
        ] as const) {
          probes.push({
            name: `${label} ${param.name} ${what}`,
            send: send(fill({ [param.name]: raw }), validBodies[label]),
            check: apiRefusal(param.name),
          });
        }
      }
      if (!op.body) continue;
      const base = validBodies[label];
      expect(base, `${label}: a valid body in the table`).toBeDefined();
      // `video` itself is a strict object (an unknown key is refused by name): its fields are tried.
      const fields: Array<[string, JsonSchema]> = Object.entries(op.body.properties ?? {}).filter(
        ([name]) => name !== 'video',
      );
      // video.type is nested one level down.
      for (const [name, schema] of Object.entries(op.body.properties?.video?.properties ?? {}))
        fields.push([`video.${name}`, schema]);
      for (const [name, schema] of fields) {
        for (const value of badJsonValues(`${label} ${name}`, schema, missingCaps)) {
          const body =
            name === 'video.type'
              ? { ...base, video: { type: value, size: 10 } }
              : { ...base, [name]: value };
          probes.push({
            name: `${label} ${name}=${JSON.stringify(value).slice(0, 24)}`,
            send: send(fill(), body),
            check: apiRefusal(name),
          });
        }
      }
    }
    expect(missingCaps).toEqual([]);
    probes.push(
      {
        name: 'GET /r/NUL (the recorder page)',
        send: () => t.request(`/r/${encodeURIComponent(NUL)}`),
        check: pageRefusal('The field linkId '),
      },
      {
        name: 'GET /r/<300 characters>',
        send: () => t.request(`/r/${'l'.repeat(300)}`),
        check: pageRefusal('The field linkId '),
      },
    );
    const before = await snapshot();
    expect(await runProbes(probes)).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // Multi-line notes keep their line breaks.
    const withNotes = await from(`${api}/links/${reusable.id}/recordings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        durationMs: 1000,
        notes: 'Step 1\r\nStep 2\tdone',
        video: { type: 'video/webm', size: 10 },
      }),
    });
    expect(withNotes.status, await withNotes.text()).toBe(201);
  });

  it('MCP: every string argument of every tool refuses NUL, controls, unpaired surrogates and over-long values', async () => {
    let id = 0;
    const rpc = async (method: string, params: unknown) =>
      t.request('/mcp', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      });
    const listed = (await (await rpc('tools/list', {})).json()) as {
      result: { tools: Array<{ name: string; inputSchema: JsonSchema }> };
    };
    const tools = listed.result.tools;
    expect(tools.length).toBeGreaterThan(10);
    const probes: Probe[] = [];
    const missingCaps: string[] = [];
    const unknownRequired: string[] = [];
    for (const tool of tools) {
      const properties = tool.inputSchema.properties ?? {};
      const base: Record<string, unknown> = {};
      for (const name of tool.inputSchema.required ?? []) {
        if (ids[name] === undefined) unknownRequired.push(`${tool.name} ${name}`);
        base[name] = ids[name];
      }
      for (const [name, schema] of Object.entries(properties)) {
        for (const value of badJsonValues(`${tool.name} ${name}`, schema, missingCaps)) {
          probes.push({
            name: `${tool.name} ${name}=${JSON.stringify(value).slice(0, 24)}`,
            send: () => rpc('tools/call', { name: tool.name, arguments: { ...base, [name]: value } }),
            // A tool error the model can read (MCP's way of saying 400), or a JSON-RPC error, naming
            // the argument; never an internal error.
            check: (res, text) => {
              if (res.status !== 200) return `status ${res.status}: ${text.slice(0, 160)}`;
              const body = JSON.parse(text) as {
                result?: { isError?: boolean; content?: Array<{ text?: string }> };
                error?: { message?: string };
              };
              const said =
                body.error?.message ?? (body.result?.isError ? body.result.content?.[0]?.text : undefined);
              if (said === undefined) return `not refused: ${text.slice(0, 160)}`;
              if (/INTERNAL_ERROR/.test(said)) return said;
              return said.includes(name) ? null : `does not name ${name}: ${said.slice(0, 200)}`;
            },
          });
        }
      }
    }
    expect(unknownRequired).toEqual([]);
    expect(missingCaps).toEqual([]);
    const before = await snapshot();
    expect(await runProbes(probes)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
