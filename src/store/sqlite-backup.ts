import SqliteDatabase from 'better-sqlite3';

// SQLite's online backup API (https://sqlite.org/backup.html), for `userplane backup` and
// `userplane restore`. Kept in store/ because it is the code that knows the database engine.

/** Pages per backup step: small enough for progress and to let the event loop breathe. */
const STEP_PAGES = 1024;
/** A step this large copies every remaining page at once, under one read transaction. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the live database at `source` to `destination` (a new file) through SQLite's backup API:
 * a consistent snapshot while servers keep writing. A write by another connection between two
 * steps makes SQLite restart the copy (backup.html, sqlite3_backup_step); once that is seen, the
 * rest is copied in one step, which one read transaction keeps consistent and which, in WAL mode,
 * does not block the writers. Resolves once the copy is complete and closed.
 */
export async function snapshotSqliteDatabase(
  source: string,
  destination: string,
  onProgress?: (copiedPages: number, totalPages: number) => void,
): Promise<{ pages: number }> {
  const db = new SqliteDatabase(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    let rate = STEP_PAGES;
    let lastRemaining = Number.POSITIVE_INFINITY;
    const result = await db.backup(destination, {
      progress: ({ totalPages, remainingPages }) => {
        // Each uninterrupted step lowers the remainder; a remainder that did not fall is a restart.
        if (remainingPages >= lastRemaining) rate = ALL_PAGES;
        lastRemaining = remainingPages;
        onProgress?.(totalPages - remainingPages, totalPages);
        return rate;
      },
    });
    onProgress?.(result.totalPages, result.totalPages);
    return { pages: result.totalPages };
  } finally {
    db.close();
  }
}

/** Runs `PRAGMA quick_check` on a database file; returns null when it passes, else SQLite's first complaint. */
export function checkSqliteDatabase(file: string): string | null {
  let db: SqliteDatabase.Database | undefined;
  try {
    db = new SqliteDatabase(file, { fileMustExist: true });
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
    const first = rows[0]?.quick_check ?? 'no answer';
    return first === 'ok' ? null : first;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    db?.close();
  }
}
