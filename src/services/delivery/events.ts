import { parseConsoleNdjson } from '../../domain/recording-resources.ts';
import type { Link } from '../../domain/types.ts';
import { type LinkEvent, linkToEvent } from '../../domain/wire.ts';
import { newId } from '../../lib/ids.ts';
import { findRecordingNotice } from '../../store/recorder.ts';
import { findResource } from '../../store/recordings.ts';
import type { Deps } from '../deps.ts';
import type { RecordingSummary } from './types.ts';

// Building the events services publish (see outbox.ts `publish`). What needs reading files or
// several rows is gathered here, before the event's transaction opens.

/** A new event id (evt_…), shared by every delivery of the event. */
export function newEventId(deps: Pick<Deps, 'clock'>): string {
  return newId('evt', deps.clock.now());
}

/** The dashboard player of a recording. */
export function playerUrl(deps: Pick<Deps, 'config'>, workspaceId: string, recordingId: string): string {
  return `${deps.config.publicUrl}/w/${encodeURIComponent(workspaceId)}/recordings/${encodeURIComponent(recordingId)}`;
}

/**
 * What "recording received" says about a recording: its link, the customer's notes, the length,
 * and how many console errors it caught (read from the stored console log; 0 when there is none or
 * it cannot be read — a message without the count beats no message). Undefined if it is gone.
 */
export async function recordingSummary(
  deps: Deps,
  recordingId: string,
): Promise<RecordingSummary | undefined> {
  const notice = await findRecordingNotice(deps.db, recordingId);
  if (!notice) return undefined;
  let consoleErrorCount = 0;
  try {
    const resource = await findResource(deps.db, recordingId, 'console-log');
    const bytes = resource ? await deps.files.read(resource.storagePath) : undefined;
    if (bytes) {
      consoleErrorCount = parseConsoleNdjson(bytes.toString('utf8')).entries.filter(
        (entry) => entry.level === 'error',
      ).length;
    }
  } catch (error) {
    deps.log.warn({ err: error, recordingId }, 'could not count console errors for the notification');
  }
  return {
    ...notice,
    consoleErrorCount,
    playerUrl: playerUrl(deps, notice.workspaceId, recordingId),
  };
}

/**
 * The `link` of link.created: the shared link wire shape's fields under the REST API's names, with
 * `projectId`, `creatorWorkspaceMemberId` and `domain` (the host) as published (docs/notifications.md).
 */
export function linkEventData(deps: Pick<Deps, 'config'>, link: Link): LinkEvent {
  return linkToEvent(link, deps.config.publicUrl);
}
