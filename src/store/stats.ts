import type { Db } from './db.ts';

/** The user's live memberships of live workspaces: what every count below starts from. */
function liveMemberships(db: Db, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .where('m.user_id', '=', userId)
    .where('m.removed_at', 'is', null)
    .where('w.deleted_at', 'is', null);
}

/**
 * Live links or recordings the user created in those workspaces: each membership joins its
 * (workspace_id, creator_member_id) index prefix, so the count walks only the user's own rows.
 */
function countCreated(db: Db, userId: string, table: 'links' | 'recordings') {
  // Both tables have the columns used here with the same types; the cast names one for the typing.
  const created = `${table} as t` as 'links as t';
  return liveMemberships(db, userId)
    .innerJoin(created, (join) =>
      join.onRef('t.workspace_id', '=', 'm.workspace_id').onRef('t.creator_member_id', '=', 'm.id'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('t.deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
}

/** Live workspaces the user belongs to, and live links and recordings the user created in them. */
export async function userStats(
  db: Db,
  userId: string,
): Promise<{ workspaces: number; links: number; recordings: number }> {
  const [workspaces, links, recordings] = await Promise.all([
    liveMemberships(db, userId)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    countCreated(db, userId, 'links'),
    countCreated(db, userId, 'recordings'),
  ]);
  return { workspaces: Number(workspaces.n), links: Number(links.n), recordings: Number(recordings.n) };
}
