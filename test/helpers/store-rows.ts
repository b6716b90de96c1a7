import type { NewStoredRecording, NewStoredResource } from '../../src/store/recordings.ts';
import type { RecordingResourcesTable, RecordingsTable } from '../../src/store/schema.ts';

// The storage suites build raw rows (some are bulk-inserted straight into the tables); these turn
// such a row into the repository's domain-shaped input for insertRecording / insertResources.

export function newRecordingFromRow(row: RecordingsTable): NewStoredRecording {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    projectId: row.project_id,
    linkId: row.link_id,
    creatorMemberId: row.creator_member_id,
    status: row.status,
    durationMs: row.duration_ms,
    startedAt: row.started_at,
    systemMeta: JSON.parse(row.system_meta) as Record<string, unknown>,
    customMeta: JSON.parse(row.custom_meta) as Record<string, unknown>,
    notes: row.notes,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
  };
}

export function newResourceFromRow(row: RecordingResourcesTable): NewStoredResource {
  return {
    recordingId: row.recording_id,
    kind: row.kind,
    storagePath: row.storage_path,
    contentType: row.content_type,
    size: row.size,
    durationMs: row.duration_ms,
    ...(row.dropped_entries !== undefined ? { droppedEntries: row.dropped_entries } : {}),
    createdAt: row.created_at,
  };
}
