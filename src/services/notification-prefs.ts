import type { Db } from '../store/db.ts';
import {
  findNotificationPref,
  listNotificationPrefs,
  type NotificationPref,
  upsertNotificationPrefs,
} from '../store/notification-prefs.ts';
import { listUserWorkspaces } from '../store/workspaces.ts';
import type { Deps } from './deps.ts';

// Notification preferences (issue 10 §3, docs/notifications.md "Notification preferences"): what a
// person wants to hear about, per workspace they belong to and per channel, plus account-wide
// topics. Every topic defaults to on: a support agent expects to hear that their customer's
// recording arrived, and someone who connected an AI application expects to be told about it (a
// grant they did not make is exactly what that e-mail is for). A missing row is the default, so
// a topic added later needs no backfill.

/** The topics, the channels each can use, and whether they belong to a workspace or the account. */
export const NOTIFICATION_TOPICS = {
  recording_received: { channels: ['email', 'slack'], scope: 'workspace', default: true },
  invitation_accepted: { channels: ['email'], scope: 'workspace', default: true },
  connected_app: { channels: ['email'], scope: 'account', default: true },
} as const satisfies Record<
  string,
  { channels: readonly NotificationChannel[]; scope: 'workspace' | 'account'; default: boolean }
>;

export type NotificationTopic = keyof typeof NOTIFICATION_TOPICS;
export type NotificationChannel = 'email' | 'slack';

/** The workspace id of account-wide choices. */
export const ACCOUNT_WIDE = '';

/** The (topic, channel) pairs of one scope, in display order. */
export function topicChannels(
  scope: 'workspace' | 'account',
): Array<[NotificationTopic, NotificationChannel]> {
  const pairs: Array<[NotificationTopic, NotificationChannel]> = [];
  for (const [topic, spec] of Object.entries(NOTIFICATION_TOPICS) as Array<
    [NotificationTopic, (typeof NOTIFICATION_TOPICS)[NotificationTopic]]
  >) {
    if (spec.scope !== scope) continue;
    for (const channel of spec.channels) pairs.push([topic, channel]);
  }
  return pairs;
}

function offers(topic: NotificationTopic, channel: NotificationChannel): boolean {
  return (NOTIFICATION_TOPICS[topic].channels as readonly string[]).includes(channel);
}

/**
 * Whether the user wants `topic` over `channel` in the workspace (account-wide topics ignore
 * `workspaceId`). Called by the channels when they plan a delivery, inside the event's
 * transaction, so `db` may be that transaction.
 */
export async function wantsNotification(
  db: Db,
  userId: string,
  workspaceId: string | null,
  topic: NotificationTopic,
  channel: NotificationChannel,
): Promise<boolean> {
  const spec = NOTIFICATION_TOPICS[topic];
  if (!offers(topic, channel)) return false;
  const scope = spec.scope === 'account' ? ACCOUNT_WIDE : (workspaceId ?? ACCOUNT_WIDE);
  const stored = await findNotificationPref(db, userId, scope, topic, channel);
  return stored ?? spec.default;
}

/** The key of one choice in a settings map and in the dashboard form: `ws|topic|channel`. */
export function prefKey(workspaceId: string, topic: NotificationTopic, channel: NotificationChannel): string {
  return `${workspaceId}|${topic}|${channel}`;
}

/** What the Notifications page shows: each workspace's choices and the account-wide ones. */
export interface NotificationSettings {
  workspaces: Array<{ id: string; name: string; role: string }>;
  /** Effective values (stored or default), by prefKey. */
  enabled: Map<string, boolean>;
}

// Nobody belongs to more workspaces than the dashboard's switcher shows.
const MAX_WORKSPACES = 100;

/** The user's effective choices in every workspace they belong to, and account-wide. */
export async function getNotificationSettings(deps: Deps, userId: string): Promise<NotificationSettings> {
  const [memberships, stored] = await Promise.all([
    listUserWorkspaces(deps.db, userId, { page: 1, perPage: MAX_WORKSPACES }),
    listNotificationPrefs(deps.db, userId),
  ]);
  const storedByKey = new Map(stored.map((r) => [`${r.workspaceId}|${r.topic}|${r.channel}`, r.enabled]));
  const enabled = new Map<string, boolean>();
  const workspaces = memberships.items.map(({ workspace, member }) => ({
    id: workspace.id,
    name: workspace.name,
    role: member.role,
  }));
  for (const ws of workspaces) {
    for (const [topic, channel] of topicChannels('workspace')) {
      const key = prefKey(ws.id, topic, channel);
      enabled.set(key, storedByKey.get(key) ?? NOTIFICATION_TOPICS[topic].default);
    }
  }
  for (const [topic, channel] of topicChannels('account')) {
    const key = prefKey(ACCOUNT_WIDE, topic, channel);
    enabled.set(key, storedByKey.get(key) ?? NOTIFICATION_TOPICS[topic].default);
  }
  return { workspaces, enabled };
}

/**
 * Saves the Notifications form. `shown` lists the workspaces the form showed (a workspace joined
 * since is left alone rather than switched off); only those the user still belongs to count.
 * `checked` holds the prefKeys that were ticked; every other choice of a shown scope is off.
 * Only choices that differ from their current value are written, so an untouched choice keeps
 * following the default. Returns how many changed.
 */
export async function saveNotificationSettings(
  deps: Deps,
  userId: string,
  input: { shownWorkspaceIds: string[]; accountShown: boolean; checked: Set<string> },
): Promise<number> {
  const current = await getNotificationSettings(deps, userId);
  const shown = new Set(input.shownWorkspaceIds);
  const changes: NotificationPref[] = [];
  const consider = (workspaceId: string, topic: NotificationTopic, channel: NotificationChannel) => {
    const key = prefKey(workspaceId, topic, channel);
    const wanted = input.checked.has(key);
    if (current.enabled.get(key) !== wanted) changes.push({ workspaceId, topic, channel, enabled: wanted });
  };
  for (const ws of current.workspaces) {
    if (!shown.has(ws.id)) continue;
    for (const [topic, channel] of topicChannels('workspace')) consider(ws.id, topic, channel);
  }
  if (input.accountShown) {
    for (const [topic, channel] of topicChannels('account')) consider(ACCOUNT_WIDE, topic, channel);
  }
  if (changes.length > 0) {
    const now = deps.clock.now();
    await deps.db.transaction().execute((trx) => upsertNotificationPrefs(trx, userId, changes, now));
  }
  return changes.length;
}
