import type { Generated } from 'kysely';

// Row shapes as stored. Times are epoch milliseconds, booleans 0/1, JSON as text, ids as text:
// the same on SQLite and PostgreSQL. Rows never leave store/: repositories map them to domain types.

export interface UsersTable {
  id: string;
  email: string;
  email_normalized: string;
  name: string;
  password_hash: string | null;
  email_verified: number;
  image: string | null;
  created_at: number;
  updated_at: number;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  owner_user_id: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface MembersTable {
  id: string;
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  joined_at: number;
  removed_at: number | null;
}

export interface InvitationsTable {
  id: string;
  workspace_id: string;
  email_normalized: string;
  role: 'admin' | 'member';
  token_hash: string;
  invited_by_member_id: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
}

export interface ProjectsTable {
  id: string;
  workspace_id: string;
  title: string;
  is_default: number;
  retention_days: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface DomainsTable {
  id: string;
  workspace_id: string;
  host: string;
  status: 'pending' | 'verified' | 'revoked';
  verification_token: string;
  verified_at: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface LinksTable {
  id: string;
  workspace_id: string;
  project_id: string;
  domain_id: string;
  creator_member_id: string;
  title: string | null;
  type: 'file';
  reusable: number;
  provider_type: 'intercom' | 'zendesk' | 'slack' | null;
  provider_id: string | null;
  provider_reference: string | null;
  meta: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface RecordingsTable {
  id: string;
  workspace_id: string;
  project_id: string;
  link_id: string;
  /** The link's creator, copied so `created_by` filters use one index. */
  creator_member_id: string;
  status: 'pending' | 'ready' | 'failed';
  duration_ms: number | null;
  started_at: number | null;
  system_meta: string;
  custom_meta: string;
  notes: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface RecordingResourcesTable {
  recording_id: string;
  kind: 'video' | 'thumbnail' | 'console-log' | 'network-log' | 'action';
  /** Relative to DATA_DIR/files. */
  storage_path: string;
  content_type: string;
  size: number;
  duration_ms: number | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string | null;
  /** SHA-256 of the whole key; the key itself is never stored (S37). */
  key_hash: string;
  last4: string;
  status: 'active' | 'disabled';
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

export interface RateLimitCountersTable {
  bucket: string;
  window_start: number;
  count: number;
}

export interface SchemaVersion {
  id: Generated<number>;
}

export interface Database {
  users: UsersTable;
  workspaces: WorkspacesTable;
  members: MembersTable;
  invitations: InvitationsTable;
  projects: ProjectsTable;
  domains: DomainsTable;
  links: LinksTable;
  recordings: RecordingsTable;
  recording_resources: RecordingResourcesTable;
  api_keys: ApiKeysTable;
  rate_limit_counters: RateLimitCountersTable;
}
