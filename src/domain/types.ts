import type { Role } from './permissions.ts';

// Domain types: what services return and routes render. Times are epoch ms here; the HTTP layer
// turns them into ISO-8601 strings.

export interface User {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  image: string | null;
  createdAt: number;
}

export interface Workspace {
  id: string;
  name: string;
  ownerUserId: string;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

/** An active membership as seen from inside the workspace. */
export interface Member {
  id: string;
  workspaceId: string;
  userId: string;
  role: Role;
  joinedAt: number;
  name: string;
  email: string;
}

export interface Project {
  id: string;
  workspaceId: string;
  title: string;
  isDefault: boolean;
  retentionDays: number | null;
  /** Length limit of new recordings in seconds; null: the default (180 s). */
  maxRecordingSeconds: number | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export type DomainStatus = 'pending' | 'verified' | 'revoked';

export interface Domain {
  id: string;
  workspaceId: string;
  host: string;
  status: DomainStatus;
  verificationToken: string;
  verifiedAt: number | null;
  createdAt: number;
  deletedAt: number | null;
}

/** The support tools a link can be made for: the one list the REST API, MCP, the services and the store use. */
export const LINK_PROVIDER_TYPES = ['intercom', 'zendesk', 'slack'] as const;
export type LinkProviderType = (typeof LINK_PROVIDER_TYPES)[number];

export interface Link {
  id: string;
  workspaceId: string;
  title: string | null;
  type: 'file';
  reusable: boolean;
  providerType: LinkProviderType | null;
  providerId: string | null;
  providerReference: string | null;
  meta: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  project: { id: string; title: string };
  creator: { memberId: string; name: string };
  domain: { id: string; host: string; status: DomainStatus };
}

export type RecordingStatus = 'pending' | 'ready' | 'failed';

export interface Recording {
  id: string;
  workspaceId: string;
  status: RecordingStatus;
  durationMs: number | null;
  startedAt: number | null;
  systemMeta: Record<string, unknown>;
  customMeta: Record<string, unknown>;
  notes: string | null;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  /** When the retention job took its files away (expired past its date, or purged); null: kept. */
  filesDeletedAt: number | null;
  link: { id: string; title: string | null };
  project: { id: string; title: string };
  domain: { id: string; host: string; status: DomainStatus };
  creator: { memberId: string; name: string };
}

/** A recording as a list shows it (the MCP list): only what a page needs, read in one narrow query. */
export type RecordingListItem = Pick<
  Recording,
  'id' | 'durationMs' | 'createdAt' | 'expiresAt' | 'link' | 'creator'
>;

export interface ApiKey {
  id: string;
  userId: string;
  name: string | null;
  last4: string;
  status: 'active' | 'disabled';
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

/** A page of results plus what the pagination object needs. */
export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
}
