import type { Db } from './db.ts';

/** Live workspaces the user belongs to, and live links and recordings the user created in them. */
export async function userStats(
  db: Db,
  userId: string,
): Promise<{ workspaces: number; links: number; recordings: number }> {
  const memberIds = db
    .selectFrom('members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select('m.id')
    .where('m.user_id', '=', userId)
    .where('m.removed_at', 'is', null)
    .where('w.deleted_at', 'is', null);
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('members as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select(eb.fn.countAll<number>().as('n'))
        .where('m.user_id', '=', userId)
        .where('m.removed_at', 'is', null)
        .where('w.deleted_at', 'is', null)
        .as('workspaces'),
      eb
        .selectFrom('links')
        .select(eb.fn.countAll<number>().as('n'))
        .where('creator_member_id', 'in', memberIds)
        .where('deleted_at', 'is', null)
        .as('links'),
      eb
        .selectFrom('recordings')
        .select(eb.fn.countAll<number>().as('n'))
        .where('creator_member_id', 'in', memberIds)
        .where('deleted_at', 'is', null)
        .as('recordings'),
    ])
    .executeTakeFirstOrThrow();
  return { workspaces: Number(row.workspaces), links: Number(row.links), recordings: Number(row.recordings) };
}
