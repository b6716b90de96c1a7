import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Role } from '../domain/permissions.ts';
import type { Link, LinkProviderType, Project } from '../domain/types.ts';
import { type Clock, DAY_MS } from '../lib/clock.ts';
import { requireMember } from './access.ts';
import {
  generateActionLog,
  generateConsoleLog,
  generateCustomMeta,
  generateNetworkLog,
  generateNotes,
  generateSystemMeta,
  mulberry32,
  serializeConsoleNdjson,
} from './demo-content.ts';
import type { Deps } from './deps.ts';
import { addDomain } from './domains.ts';
import { createLink } from './links.ts';
import { addMemberDirectly } from './members.ts';
import { createProject } from './projects.ts';
import { createRecordings, type NewRecording, type NewResource } from './recordings.ts';
import { createUser } from './users.ts';
import { createWorkspace } from './workspaces.ts';

// `userplane demo`: a workspace full of realistic recordings to try the dashboard, the API and MCP.
//
// Storage choice: the video (62 KB) and thumbnail (18 KB) are the same for every demo recording,
// so they are stored once, under `files/demo-assets/`, and every demo recording's video and
// thumbnail resource rows point at those files. 100,000 copies would be ~8 GB of identical bytes.
// They live outside any `<recordingId>/` folder, so deleting one demo recording (which removes its
// folder) leaves them for the others. The logs differ per recording (seeded), so each recording
// gets its own three log files.

export const DEMO_DEFAULT_RECORDINGS = 50;
export const DEMO_MAX_RECORDINGS = 100_000;
/** Length of assets/demo/demo-recording.webm (see assets/demo/README.md). */
export const DEMO_VIDEO_DURATION_MS = 15_000;
/** Recordings are spread over this many days before now. */
export const DEMO_SPREAD_DAYS = 30;

const SHARED_VIDEO = 'demo-assets/video.webm';
const SHARED_THUMBNAIL = 'demo-assets/thumbnail.png';
const assetUrl = (name: string) => new URL(`../../assets/demo/${name}`, import.meta.url);

/** One person who can sign in to the demo workspace. */
export interface DemoUser {
  role: Role;
  name: string;
  email: string;
  /** Random, shown once by the CLI; only its argon2id hash is stored. */
  password: string;
  userId: string;
  memberId: string;
}

/** What `runDemo` made. */
export interface DemoSummary {
  workspaceId: string;
  workspaceName: string;
  users: DemoUser[];
  domainId: string;
  projects: Project[];
  links: Link[];
  recordings: number;
}

export interface DemoOptions {
  /** How many recordings (default 50, at most 100,000). */
  recordings?: number;
  /** Same seed → same log content, metadata and timeline (ids and passwords stay random). */
  seed?: string;
  /** Called after each recording; the CLI prints every 10%. */
  onProgress?: (done: number, total: number) => void;
}

interface LinkPlan {
  title: string;
  creator: Role;
  project: 'default' | 'web' | 'mobile';
  reusable: boolean;
  providerType?: LinkProviderType;
  providerId?: string;
  providerReference?: string;
  meta?: Record<string, unknown>;
}

const PEOPLE: readonly { role: Role; name: string; handle: string }[] = [
  { role: 'owner', name: 'Dana Whitfield', handle: 'dana' },
  { role: 'admin', name: 'Ravi Menon', handle: 'ravi' },
  { role: 'member', name: 'Lena Kowalski', handle: 'lena' },
];

const LINKS: readonly LinkPlan[] = [
  {
    title: 'Checkout bug reports',
    creator: 'owner',
    project: 'web',
    reusable: true,
    meta: { channel: 'web' },
  },
  {
    title: 'Billing escalations',
    creator: 'admin',
    project: 'default',
    reusable: true,
    providerType: 'intercom',
    providerId: 'conv_demo_48213',
    providerReference: 'https://app.intercom.com/a/inbox/demo/inbox/conversation/48213',
  },
  { title: 'Mobile beta feedback', creator: 'member', project: 'mobile', reusable: true },
  {
    title: 'Ticket #4821: invoice upload fails',
    creator: 'member',
    project: 'web',
    reusable: false,
    providerType: 'zendesk',
    providerId: '4821',
    providerReference: 'https://example.zendesk.com/agent/tickets/4821',
  },
  {
    title: 'Ticket #4907: cannot create ticket',
    creator: 'admin',
    project: 'default',
    reusable: false,
    providerType: 'zendesk',
    providerId: '4907',
    providerReference: 'https://example.zendesk.com/agent/tickets/4907',
  },
  {
    title: 'Onboarding call follow-up',
    creator: 'owner',
    project: 'default',
    reusable: false,
    providerType: 'intercom',
    providerId: 'conv_demo_50110',
  },
];

/** Recordings committed per transaction: one commit (one fsync) for many rows. */
const BATCH_SIZE = 250;

/** Every fifth recording comes from a site without our capture script: video only, no logs. */
const NO_LOGS_EVERY = 5;

/** Checks the requested number of recordings (whole, 0 to 100,000). */
export function checkDemoRecordings(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > DEMO_MAX_RECORDINGS) {
    throw new RangeError(`--recordings must be a whole number from 0 to ${DEMO_MAX_RECORDINGS}`);
  }
  return value;
}

function fixedClock(at: number): Clock {
  return { now: () => at };
}

/**
 * Creates a demo workspace: an owner, an admin and a member with random passwords, a verified
 * `app.example.com`, three projects, six links (some single-use, some from Intercom or Zendesk), and
 * `recordings` recordings spread over the last 30 days with seeded console, network and action
 * logs. Everything goes through the same services the API uses.
 */
export async function runDemo(deps: Deps, options: DemoOptions = {}): Promise<DemoSummary> {
  const total = checkDemoRecordings(options.recordings ?? DEMO_DEFAULT_RECORDINGS);
  const seed = options.seed ?? randomBytes(8).toString('hex');
  const rng = mulberry32(hashString(seed));
  const now = deps.clock.now();
  // The team, site and links exist before the first recording, so their dates come first too.
  const setup: Deps = { ...deps, clock: fixedClock(now - (DEMO_SPREAD_DAYS + 1) * DAY_MS) };

  const suffix = randomBytes(4).toString('hex');
  const people: Omit<DemoUser, 'memberId'>[] = [];
  for (const person of PEOPLE) {
    const email = `${person.handle}-${suffix}@example.com`;
    const password = randomBytes(12).toString('base64url');
    const user = await createUser(setup, { email, password, name: person.name });
    people.push({ role: person.role, name: person.name, email, password, userId: user.id });
  }
  const owner = people[0]!;
  const workspaceName = 'Acme Helpdesk (demo)';
  const { workspace, defaultProject, ownerMemberId } = await createWorkspace(setup, {
    name: workspaceName,
    ownerUserId: owner.userId,
  });
  const users: DemoUser[] = [{ ...owner, memberId: ownerMemberId }];
  for (const person of people.slice(1)) {
    const member = await addMemberDirectly(setup, {
      workspaceId: workspace.id,
      userId: person.userId,
      role: person.role,
    });
    users.push({ ...person, memberId: member.id });
  }
  const accessOf = (role: Role) =>
    requireMember(setup, users.find((u) => u.role === role)!.userId, workspace.id);

  const ownerAccess = await accessOf('owner');
  // The CLI is trusted to mark the domain verified: it is example data, not a real site.
  const domain = await addDomain(setup, ownerAccess, { url: 'app.example.com', verified: true });
  const projects = {
    default: defaultProject,
    web: await createProject(setup, ownerAccess, { title: 'Web App' }),
    // A short retention, so the demo also shows expired recordings (metadata only, no playback).
    mobile: await createProject(setup, ownerAccess, { title: 'Mobile Beta', retentionDays: 21 }),
  };
  const links: Link[] = [];
  for (const plan of LINKS) {
    links.push(
      await createLink(setup, await accessOf(plan.creator), {
        domainId: domain.id,
        projectId: projects[plan.project].id,
        title: plan.title,
        reusable: plan.reusable,
        providerType: plan.providerType ?? null,
        providerId: plan.providerId ?? null,
        providerReference: plan.providerReference ?? null,
        meta: plan.meta ?? {},
      }),
    );
  }

  await deps.files.write(SHARED_VIDEO, await readFile(fileURLToPath(assetUrl('demo-recording.webm'))), {
    contentType: 'video/webm',
  });
  await deps.files.write(SHARED_THUMBNAIL, await readFile(fileURLToPath(assetUrl('demo-thumbnail.png'))), {
    contentType: 'image/png',
  });

  // Single-use links take one recording each (a third of a small demo at most); the rest go to the
  // reusable links at random. Times are drawn over the last 30 days and created oldest first, so
  // ids, which sort by creation time, agree with createdAt.
  const singleUse = links.filter((l) => !l.reusable);
  const reusable = links.filter((l) => l.reusable);
  const singleCount = Math.min(singleUse.length, Math.floor(total / 3));
  const targets = Array.from({ length: total }, (_, i) =>
    i < singleCount ? singleUse[i]! : reusable[Math.floor(rng() * reusable.length)]!,
  );
  const times = Array.from({ length: total }, () => now - Math.floor(rng() * DEMO_SPREAD_DAYS * DAY_MS)).sort(
    (a, b) => a - b,
  );
  shuffle(targets, rng);

  let batch: NewRecording[] = [];
  const flush = async () => {
    await createRecordings(deps, batch);
    options.onProgress?.(done + batch.length, total);
    done += batch.length;
    batch = [];
  };
  let done = 0;
  for (let i = 0; i < total; i++) {
    const recordingSeed = `${seed}:${i}`;
    const createdAt = times[i]!;
    const resources: NewResource[] = [
      {
        kind: 'video',
        contentType: 'video/webm',
        sharedPath: SHARED_VIDEO,
        durationMs: DEMO_VIDEO_DURATION_MS,
      },
      { kind: 'thumbnail', contentType: 'image/png', sharedPath: SHARED_THUMBNAIL },
    ];
    if (i % NO_LOGS_EVERY !== NO_LOGS_EVERY - 1) {
      resources.push(
        {
          kind: 'console-log',
          contentType: 'application/x-ndjson',
          data: serializeConsoleNdjson(generateConsoleLog(recordingSeed, DEMO_VIDEO_DURATION_MS)),
        },
        {
          kind: 'network-log',
          contentType: 'application/json',
          data: JSON.stringify(generateNetworkLog(recordingSeed, DEMO_VIDEO_DURATION_MS)),
        },
        {
          kind: 'action',
          contentType: 'application/json',
          data: JSON.stringify(generateActionLog(recordingSeed, DEMO_VIDEO_DURATION_MS)),
        },
      );
    }
    batch.push({
      linkId: targets[i]!.id,
      status: 'ready',
      durationMs: DEMO_VIDEO_DURATION_MS,
      // The customer pressed stop, then the upload took a few seconds.
      startedAt: createdAt - DEMO_VIDEO_DURATION_MS - 2_000 - Math.floor(rng() * 8_000),
      systemMeta: generateSystemMeta(recordingSeed),
      customMeta: generateCustomMeta(recordingSeed),
      notes: generateNotes(recordingSeed),
      createdAt,
      resources,
      // Demo data can be made again, so skipping fsync per file is worth the speed on large runs.
      durable: false,
    });
    if (batch.length === BATCH_SIZE) await flush();
  }
  if (batch.length > 0) await flush();

  return {
    workspaceId: workspace.id,
    workspaceName,
    users,
    domainId: domain.id,
    projects: [projects.default, projects.web, projects.mobile],
    links,
    recordings: total,
  };
}

function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function shuffle<T>(items: T[], rng: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
