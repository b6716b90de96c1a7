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
  /** Length limit of new recordings in seconds; null → the default 180 s. */
  max_recording_seconds?: number | null;
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
  /** Recordings the link has taken (deleted included, abandoned uploads not); see 0030_recorder. */
  recording_count?: number;
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
  /** Why the upload ended `failed`; null otherwise. */
  failure_reason?: string | null;
  /** When the retention job began removing the files (the row stops claiming them); see 0041. */
  files_purge_started_at?: number | null;
  /** When the files were gone and the resource rows deleted (their bytes subtracted). */
  files_purged_at?: number | null;
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
  /** Malformed log entries dropped at upload. */
  dropped_entries?: number;
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

/** The one-time first-run setup link (at most one row, id 'setup'); only the token's SHA-256. */
export interface SetupTokensTable {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Storage use of a workspace, kept current by the writes that change it (0040_storage_usage). */
export interface WorkspaceUsageTable {
  workspace_id: string;
  /** Sizes of the workspace's recording_resources rows (soft-deleted recordings' too, until purged). */
  bytes: number;
  /** Recordings not soft-deleted. */
  recordings: number;
  updated_at: number;
}

/** A maintenance job's lease (0041_maintenance_leases): who runs it, until when. */
export interface MaintenanceLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** One message to send (0050_delivery): an e-mail, a webhook call, a Slack post, a help-desk note. */
export interface DeliveriesTable {
  id: string;
  workspace_id: string | null;
  channel: 'email' | 'webhook' | 'slack' | 'intercom' | 'zendesk';
  /** The webhook endpoint's id, the recipient user's id, or null. */
  target_id: string | null;
  event_type: string;
  event_id: string;
  /** One line for the delivery log (recipient, URL host, ticket); no secrets. */
  summary: string;
  /** The message content, sealed (secret-box label 'delivery-payload'). */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  last_error: string | null;
  last_status_code: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** One try of a delivery. */
export interface DeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  ok: number;
  status_code: number | null;
  error: string | null;
  /** At most 1 KB of what the receiver answered. */
  response_body: string | null;
}

export interface WebhookEndpointsTable {
  id: string;
  workspace_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types. */
  events: string;
  /** The whsec_ secret, sealed (label 'webhook-secret'). */
  secret_sealed: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface WorkspaceIntegrationsTable {
  workspace_id: string;
  provider: 'slack' | 'intercom' | 'zendesk';
  /** JSON: what is not secret (base URL, admin id, agent e-mail). */
  config: string;
  /** The API token or Slack webhook URL, sealed (label 'integration-secret'). */
  secret_sealed: string;
  status: 'connected' | 'needs_reconnect';
  status_detail: string | null;
  created_at: number;
  updated_at: number;
}

export interface NotificationPreferencesTable {
  user_id: string;
  /** '' for account-wide choices. */
  workspace_id: string;
  topic: string;
  channel: string;
  enabled: number;
  updated_at: number;
}

export interface SchemaVersion {
  id: Generated<number>;
}

export interface Database extends OAuthDatabase {
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
  setup_tokens: SetupTokensTable;
  workspace_usage: WorkspaceUsageTable;
  maintenance_leases: MaintenanceLeasesTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
  workspace_integrations: WorkspaceIntegrationsTable;
  notification_preferences: NotificationPreferencesTable;
}

export interface OAuthClientsTable {
  id: string;
  kind: 'dynamic' | 'metadata_document';
  client_name: string;
  logo_uri: string | null;
  client_uri: string | null;
  /** JSON array of strings. */
  redirect_uris: string;
  token_endpoint_auth_method: 'none' | 'client_secret_post' | 'client_secret_basic';
  client_secret_hash: string | null;
  /** JSON array of strings. */
  grant_types: string;
  /** JSON array of strings. */
  response_types: string;
  application_type: string | null;
  software_id: string | null;
  software_version: string | null;
  scope: string | null;
  verified_vendor: string | null;
  registration_ip: string | null;
  metadata_fetched_at: number | null;
  metadata_expires_at: number | null;
  created_at: number;
  updated_at: number;
  last_authorized_at: number | null;
  deleted_at: number | null;
}

export interface OAuthGrantsTable {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  resource: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  revoke_reason: string | null;
}

export interface OAuthCodesTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  grant_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  resource: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface OAuthRefreshTokensTable {
  id: string;
  token_hash: string;
  grant_id: string;
  client_id: string;
  scope: string;
  resource: string;
  created_at: number;
  expires_at: number;
  absolute_expires_at: number;
  rotated_at: number | null;
  successor_id: string | null;
  successor_payload: string | null;
  revoked_at: number | null;
}

export interface OAuthSigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_encrypted: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

export interface OAuthPendingAuthorizationsTable {
  id: string;
  browser_binding_hash: string;
  client_id: string;
  /** JSON: the validated authorization request. */
  params: string;
  decision: 'allow' | 'deny' | null;
  user_id: string | null;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

export interface BrowserSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
  ended_at: number | null;
}

export interface AuditEventsTable {
  id: string;
  type: string;
  user_id: string | null;
  client_id: string | null;
  grant_id: string | null;
  workspace_id: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object. */
  detail: string;
  created_at: number;
}

export interface OAuthDatabase {
  oauth_clients: OAuthClientsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_codes: OAuthCodesTable;
  oauth_refresh_tokens: OAuthRefreshTokensTable;
  oauth_signing_keys: OAuthSigningKeysTable;
  oauth_pending_authorizations: OAuthPendingAuthorizationsTable;
  browser_sessions: BrowserSessionsTable;
  audit_events: AuditEventsTable;
}
