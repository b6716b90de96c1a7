import type { Db } from './db.ts';

/**
 * Live workspaces the user belongs to, and live links and recordings the user created in them.
 * Counts join each membership to its (workspace_id, creator_member_id) index prefix, so they walk
 * only the user's own rows.
 */
export async function userStats(
  db: Db,
  userId: string,
): Promise<{ workspaces: number; links: number; recordings: number }> {
  const [workspaces, links, recordings] = await Promise.all([
    db
      .selectFrom('members as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('m.user_id', '=', userId)
      .where('m.removed_at', 'is', null)
      .where('w.deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('members as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .innerJoin('links as t', (join) =>
        join.onRef('t.workspace_id', '=', 'm.workspace_id').onRef('t.creator_member_id', '=', 'm.id'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('m.user_id', '=', userId)
      .where('m.removed_at', 'is', null)
      .where('w.deleted_at', 'is', null)
      .where('t.deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('members as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .innerJoin('recordings as t', (join) =>
        join.onRef('t.workspace_id', '=', 'm.workspace_id').onRef('t.creator_member_id', '=', 'm.id'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('m.user_id', '=', userId)
      .where('m.removed_at', 'is', null)
      .where('w.deleted_at', 'is', null)
      .where('t.deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
  ]);
  return { workspaces: Number(workspaces.n), links: Number(links.n), recordings: Number(recordings.n) };
}
