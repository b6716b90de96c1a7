import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceKind } from '../../src/domain/recording-resources.ts';
import type { Recording } from '../../src/domain/types.ts';
import { newId } from '../../src/lib/ids.ts';
import type { Deps } from '../../src/services/deps.ts';
import { createRecording, type NewResource } from '../../src/services/recordings.ts';
import { teamWorkspace } from './builders.ts';

// Domains and links are inserted as rows here so the recordings tests do not depend on the links and
// domains services; the demo test goes through those services.

const asset = (name: string) => fileURLToPath(new URL(`../../assets/demo/${name}`, import.meta.url));
/** The real demo WebM and PNG, so file tests fetch genuine media bytes. */
export const DEMO_VIDEO = readFileSync(asset('demo-recording.webm'));
export const DEMO_THUMBNAIL = readFileSync(asset('demo-thumbnail.png'));

/** Inserts a domain row and returns its id. */
export async function insertDomainRow(
  deps: Deps,
  workspaceId: string,
  options: { host?: string; status?: 'pending' | 'verified' | 'revoked' } = {},
): Promise<string> {
  const now = deps.clock.now();
  const id = newId('dom', now);
  await deps.db
    .insertInto('domains')
    .values({
      id,
      workspace_id: workspaceId,
      host: options.host ?? `app-${id.slice(-6)}.example.com`,
      status: options.status ?? 'verified',
      verification_token: `userplane-test-${id}`,
      verified_at: options.status === 'pending' ? null : now,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    })
    .execute();
  return id;
}

/** Inserts a link row and returns its id. */
export async function insertLinkRow(
  deps: Deps,
  input: {
    workspaceId: string;
    projectId: string;
    domainId: string;
    creatorMemberId: string;
    reusable?: boolean;
    title?: string;
  },
): Promise<string> {
  const now = deps.clock.now();
  const id = newId('lnk', now);
  await deps.db
    .insertInto('links')
    .values({
      id,
      workspace_id: input.workspaceId,
      project_id: input.projectId,
      domain_id: input.domainId,
      creator_member_id: input.creatorMemberId,
      title: input.title ?? null,
      type: 'file',
      reusable: input.reusable === false ? 0 : 1,
      provider_type: null,
      provider_id: null,
      provider_reference: null,
      meta: '{}',
      created_at: now,
      updated_at: now,
      deleted_at: null,
    })
    .execute();
  return id;
}

/** Inserts a project row (optionally with retention) and returns its id. */
export async function insertProjectRow(
  deps: Deps,
  workspaceId: string,
  options: { title?: string; retentionDays?: number | null } = {},
): Promise<string> {
  const now = deps.clock.now();
  const id = newId('prj', now);
  await deps.db
    .insertInto('projects')
    .values({
      id,
      workspace_id: workspaceId,
      title: options.title ?? 'Project',
      is_default: 0,
      retention_days: options.retentionDays ?? null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    })
    .execute();
  return id;
}

/** Every resource kind with real or realistic bytes; pass `only` to capture fewer. */
export function sampleResources(
  only: ResourceKind[] = ['video', 'thumbnail', 'console-log', 'network-log', 'action'],
) {
  const all: Record<ResourceKind, NewResource> = {
    video: { kind: 'video', contentType: 'video/webm', data: DEMO_VIDEO, durationMs: 15_000 },
    thumbnail: { kind: 'thumbnail', contentType: 'image/png', data: DEMO_THUMBNAIL },
    'console-log': {
      kind: 'console-log',
      contentType: 'application/x-ndjson',
      data: '{"ts":10,"level":"error","message":"boom"}\n',
    },
    'network-log': {
      kind: 'network-log',
      contentType: 'application/json',
      data: JSON.stringify([
        { ts: 5, method: 'GET', url: 'https://app.example.com/api', status: 500, durationMs: 9 },
      ]),
    },
    action: {
      kind: 'action',
      contentType: 'application/json',
      data: JSON.stringify([{ ts: 1, type: 'click', selector: '#submit' }]),
    },
  };
  return only.map((kind) => all[kind]);
}

/** A recording through the real service with small resources. */
export async function makeRecording(
  deps: Deps,
  linkId: string,
  options: { resources?: NewResource[]; createdAt?: number; notes?: string } = {},
): Promise<Recording> {
  return createRecording(deps, {
    linkId,
    durationMs: 15_000,
    startedAt: options.createdAt ?? deps.clock.now(),
    systemMeta: { browser: 'Chrome 126', os: 'macOS 14.5', screen: { width: 1440, height: 900 } },
    customMeta: { ticketId: 42 },
    notes: options.notes ?? 'It broke',
    createdAt: options.createdAt,
    resources: options.resources ?? sampleResources(),
  });
}

/**
 * A team workspace with a verified domain, a second project, and one reusable link per role
 * (owner/admin/member/member2), plus a second workspace the owner also belongs to.
 */
export async function recordingsWorkspace(deps: Deps) {
  const team = await teamWorkspace(deps);
  const ws = team.workspace.id;
  const domainId = await insertDomainRow(deps, ws, { host: 'app.example.com' });
  const otherProjectId = await insertProjectRow(deps, ws, { title: 'Mobile' });
  const links: Record<'owner' | 'admin' | 'member' | 'member2', string> = {
    owner: '',
    admin: '',
    member: '',
    member2: '',
  };
  for (const who of ['owner', 'admin', 'member', 'member2'] as const) {
    links[who] = await insertLinkRow(deps, {
      workspaceId: ws,
      projectId: who === 'member2' ? otherProjectId : team.defaultProject.id,
      domainId,
      creatorMemberId: team.memberIds[who]!,
      title: `${who}'s link`,
    });
  }
  return { ...team, domainId, otherProjectId, links };
}
