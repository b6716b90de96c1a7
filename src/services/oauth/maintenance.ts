import { deleteUnusedClients } from '../../store/oauth-clients.ts';
import { deleteExpiredCodes, deleteExpiredPending } from '../../store/oauth-grants.ts';
import type { Deps } from '../deps.ts';
import { UNUSED_CLIENT_TTL_MS } from './lifetimes.ts';

/**
 * Periodic housekeeping: removes dynamic registrations that never completed an authorization
 * (S24), expired codes and pending requests, and lets the key manager rotate on schedule (S21).
 * Safe to run from every instance at once: each step is an idempotent delete or a guarded insert.
 */
export async function runOAuthMaintenance(deps: Deps): Promise<{ removedClients: number }> {
  const now = deps.clock.now();
  const removedClients = await deleteUnusedClients(deps.db, now - UNUSED_CLIENT_TTL_MS);
  // Codes live 60 s; keep used ones an hour longer so a late replay is still recognised (S10).
  await deleteExpiredCodes(deps.db, now - 60 * 60_000);
  await deleteExpiredPending(deps.db, now);
  await deps.keys.maybeRotate();
  if (removedClients) deps.log.info({ removedClients }, 'removed unused client registrations');
  return { removedClients };
}
