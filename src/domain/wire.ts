import { z } from 'zod';
import { iso } from '../lib/clock.ts';
import { type DomainStatus, LINK_PROVIDER_TYPES, type Link, type Page, type Recording } from './types.ts';

// The wire vocabulary (PRODUCT.md §1, §3, §4): how links, recordings and pages are named when they
// leave the server, as zod schemas with the mappers from the domain types. The REST API
// (http/api/, which names the schemas for OpenAPI with `.openapi('Link')`), the MCP tools
// (mcp/tool-kit.ts, mcp/tools/) and the webhook events (services/delivery/events.ts) all use these,
// so a field is named once. Plain zod, no OpenAPI or MCP specifics: descriptions are `.describe()`,
// which both the OpenAPI generator and the MCP SDK read.

export const ProviderTypeSchema = z.enum(LINK_PROVIDER_TYPES);
export const DomainStatusSchema = z.enum(['pending', 'verified', 'revoked'] satisfies DomainStatus[]);
export const RecordingStatusSchema = z.enum(['pending', 'ready', 'failed']);
export const JsonObjectSchema = z.record(z.string(), z.unknown());

const ProjectRefSchema = z.object({ projectId: z.string(), title: z.string() });
const CreatorRefSchema = z.object({ workspaceMemberId: z.string(), name: z.string() });
const DomainRefSchema = z.object({ domainId: z.string(), url: z.string(), status: DomainStatusSchema });

type Named = { id: string; title: string };
const projectRef = (project: Named) => ({ projectId: project.id, title: project.title });
const creatorRef = (creator: { memberId: string; name: string }) => ({
  workspaceMemberId: creator.memberId,
  name: creator.name,
});
const domainRef = (domain: Link['domain']) => ({
  domainId: domain.id,
  url: domain.host,
  status: domain.status,
});

// ---- Pages ---------------------------------------------------------------------------------------

export const PaginationSchema = z.object({
  page: z.number().int(),
  perPage: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
  hasMore: z.boolean(),
});
export type Pagination = z.infer<typeof PaginationSchema>;

/** The pagination object of a page of results (PRODUCT.md §3). */
export function pagination(page: Pick<Page<unknown>, 'page' | 'perPage' | 'total'>): Pagination {
  const totalPages = Math.ceil(page.total / page.perPage);
  return {
    page: page.page,
    perPage: page.perPage,
    total: page.total,
    totalPages,
    hasMore: page.page < totalPages,
  };
}

// ---- Links ---------------------------------------------------------------------------------------

/** The URL a customer opens to record: the public recorder page of PRODUCT.md §7. */
export function linkUrl(publicUrl: string, linkId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/r/${linkId}`;
}

export const LinkWireSchema = z.object({
  linkId: z.string(),
  linkTitle: z.string().nullable(),
  linkType: z.literal('file'),
  linkReusable: z.boolean(),
  linkProviderType: ProviderTypeSchema.nullable(),
  linkProviderId: z.string().nullable(),
  linkProviderReference: z.string().nullable(),
  linkURL: z.string().describe('The URL a customer opens to record their screen'),
  meta: JsonObjectSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  project: ProjectRefSchema,
  creator: CreatorRefSchema,
  domain: DomainRefSchema,
});
export type LinkWire = z.infer<typeof LinkWireSchema>;

/** Domain link → wire link (PRODUCT.md §1). */
export function linkToWire(link: Link, publicUrl: string): LinkWire {
  return {
    linkId: link.id,
    linkTitle: link.title,
    linkType: link.type,
    linkReusable: link.reusable,
    linkProviderType: link.providerType,
    linkProviderId: link.providerId,
    linkProviderReference: link.providerReference,
    linkURL: linkUrl(publicUrl, link.id),
    meta: link.meta,
    createdAt: iso(link.createdAt),
    updatedAt: iso(link.updatedAt),
    project: projectRef(link.project),
    creator: creatorRef(link.creator),
    domain: domainRef(link.domain),
  };
}

/**
 * The `link` of a link.created webhook event (docs/notifications.md): fields of the wire link, under
 * the same names, with the three the event has always flattened (`projectId`,
 * `creatorWorkspaceMemberId`, `domain` as the host) kept as published.
 */
export const LinkEventSchema = LinkWireSchema.pick({
  linkId: true,
  linkTitle: true,
  linkURL: true,
  linkReusable: true,
  linkProviderType: true,
  linkProviderId: true,
  linkProviderReference: true,
  createdAt: true,
}).extend({ projectId: z.string(), creatorWorkspaceMemberId: z.string(), domain: z.string() });
export type LinkEvent = z.infer<typeof LinkEventSchema>;

/** Domain link → the `link` of a link.created event. */
export function linkToEvent(link: Link, publicUrl: string): LinkEvent {
  const wire = linkToWire(link, publicUrl);
  return {
    linkId: wire.linkId,
    linkTitle: wire.linkTitle,
    linkURL: wire.linkURL,
    linkReusable: wire.linkReusable,
    linkProviderType: wire.linkProviderType,
    linkProviderId: wire.linkProviderId,
    linkProviderReference: wire.linkProviderReference,
    projectId: wire.project.projectId,
    creatorWorkspaceMemberId: wire.creator.workspaceMemberId,
    domain: wire.domain.url,
    createdAt: wire.createdAt,
  };
}

// ---- Recordings ----------------------------------------------------------------------------------

/** What a recording's wire shapes need besides the recording: computed by the services. */
export interface RecordingWireContext {
  /** services/recordings.ts isExpired at the time of the answer. */
  expired: boolean;
  /** services/recordings.ts playerUrl. */
  playerUrl: string;
}

/** The recording as the REST API returns it (PRODUCT.md §3). */
export const RecordingWireSchema = z.object({
  recordingId: z.string(),
  recordingDurationMs: z.number().int().nullable(),
  recordingStartedAt: z.string().nullable(),
  status: RecordingStatusSchema,
  expiresAt: z.string().nullable(),
  expired: z.boolean().describe('True once expiresAt has passed: no playback or downloads'),
  createdAt: z.string(),
  updatedAt: z.string(),
  systemMeta: JsonObjectSchema.describe('Browser, OS, screen, URL and user agent'),
  customMeta: JsonObjectSchema,
  notes: z.string().nullable(),
  playerUrl: z.string(),
  link: z.object({ linkId: z.string(), linkTitle: z.string().nullable() }),
  project: ProjectRefSchema,
  domain: DomainRefSchema,
  creator: CreatorRefSchema,
});
export type RecordingWire = z.infer<typeof RecordingWireSchema>;

/** Domain recording → wire recording (PRODUCT.md §3). */
export function recordingToWire(recording: Recording, context: RecordingWireContext): RecordingWire {
  return {
    recordingId: recording.id,
    recordingDurationMs: recording.durationMs,
    recordingStartedAt: iso(recording.startedAt),
    status: recording.status,
    expiresAt: iso(recording.expiresAt),
    expired: context.expired,
    createdAt: iso(recording.createdAt),
    updatedAt: iso(recording.updatedAt),
    systemMeta: recording.systemMeta,
    customMeta: recording.customMeta,
    notes: recording.notes,
    playerUrl: context.playerUrl,
    link: { linkId: recording.link.id, linkTitle: recording.link.title },
    project: projectRef(recording.project),
    domain: domainRef(recording.domain),
    creator: creatorRef(recording.creator),
  };
}

/** The flat recording details the MCP tool userplane_get_rec_info returns (PRODUCT.md §4). */
export const RecordingInfoSchema = z.object({
  recordingId: z.string(),
  durationMs: z.number().int().nullable(),
  startedAt: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  expired: z.boolean().describe('True once expiresAt has passed: no video or logs any more'),
  status: RecordingStatusSchema.describe('Upload status'),
  linkId: z.string(),
  linkTitle: z.string().nullable(),
  projectId: z.string(),
  projectTitle: z.string(),
  domainUrl: z.string(),
  creatorName: z.string().describe("The link's creator, who owns the recording"),
  notes: z.string().nullable().describe('What the customer wrote'),
  systemMeta: JsonObjectSchema.describe('Browser, OS, screen, page URL, user agent'),
  customMeta: JsonObjectSchema,
  playerUrl: z.string().describe('The dashboard page that plays the recording'),
});
export type RecordingInfo = z.infer<typeof RecordingInfoSchema>;

/** Domain recording → the flat details of userplane_get_rec_info. */
export function recordingToInfo(recording: Recording, context: RecordingWireContext): RecordingInfo {
  return {
    recordingId: recording.id,
    durationMs: recording.durationMs,
    startedAt: iso(recording.startedAt),
    createdAt: iso(recording.createdAt),
    expiresAt: iso(recording.expiresAt),
    expired: context.expired,
    status: recording.status,
    linkId: recording.link.id,
    linkTitle: recording.link.title,
    projectId: recording.project.id,
    projectTitle: recording.project.title,
    domainUrl: recording.domain.host,
    creatorName: recording.creator.name,
    notes: recording.notes,
    systemMeta: recording.systemMeta,
    customMeta: recording.customMeta,
    playerUrl: context.playerUrl,
  };
}
