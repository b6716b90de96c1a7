import type { Db } from './db.ts';

// Notification preferences (issue 10 §3): only the choices a user changed are stored, one row per
// (user, workspace, topic, channel); a missing row means the topic's default. Account-wide topics
// (a new Connected App) use workspace_id ''.

/** One stored choice. */
export interface NotificationPref {
  workspaceId: string;
  topic: string;
  channel: string;
  enabled: boolean;
}

/** Every choice the user changed, in any workspace and account-wide. */
export async function listNotificationPrefs(db: Db, userId: string): Promise<NotificationPref[]> {
  const rows = await db
    .selectFrom('notification_preferences')
    .select(['workspace_id', 'topic', 'channel', 'enabled'])
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => ({
    workspaceId: r.workspace_id,
    topic: r.topic,
    channel: r.channel,
    enabled: Number(r.enabled) === 1,
  }));
}

/** The user's stored choice for one topic and channel, or undefined (the default applies). */
export async function findNotificationPref(
  db: Db,
  userId: string,
  workspaceId: string,
  topic: string,
  channel: string,
): Promise<boolean | undefined> {
  const row = await db
    .selectFrom('notification_preferences')
    .select('enabled')
    .where('user_id', '=', userId)
    .where('workspace_id', '=', workspaceId)
    .where('topic', '=', topic)
    .where('channel', '=', channel)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.enabled) === 1;
}

/** Writes choices (insert or overwrite), one statement per choice on the same connection. */
export async function upsertNotificationPrefs(
  db: Db,
  userId: string,
  choices: NotificationPref[],
  now: number,
): Promise<void> {
  for (const choice of choices) {
    const enabled = choice.enabled ? 1 : 0;
    await db
      .insertInto('notification_preferences')
      .values({
        user_id: userId,
        workspace_id: choice.workspaceId,
        topic: choice.topic,
        channel: choice.channel,
        enabled,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['user_id', 'workspace_id', 'topic', 'channel']).doUpdateSet({ enabled, updated_at: now }),
      )
      .execute();
  }
}
