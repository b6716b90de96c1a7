import { type Compilable, type CompiledQuery, PostgresAdapter } from 'kysely';
import type { Db } from './db.ts';

// Queries on the hot paths of /mcp (the membership every workspace tool checks, the profile, a page
// of recordings or links) are built and compiled once per dialect instead of on every call: Kysely
// otherwise builds an operation tree and compiles it to SQL each time, which on SQLite costs more
// than running the query. The query is built with markers in place of its values; a call copies
// the compiled parameter list with the values put where the markers were. The SQL text stays the
// same from call to call, so SQLite's statement cache (db.ts) finds it prepared.

const MARK = Symbol('prepared-parameter');

interface Marker {
  readonly [MARK]: number;
}

const isMarker = (value: unknown): value is Marker =>
  typeof value === 'object' && value !== null && MARK in value;

interface Compiled {
  sql: string;
  query: CompiledQuery['query'];
  queryId: CompiledQuery['queryId'];
  /** For each compiled parameter: the index of the argument it takes, or -1 for a constant. */
  slots: number[];
  constants: readonly unknown[];
}

function compile(built: Compilable<unknown>, arity: number): Compiled {
  const compiled = built.compile();
  const slots = compiled.parameters.map((value) => (isMarker(value) ? value[MARK] : -1));
  for (let i = 0; i < arity; i++) {
    // A marker that did not become a parameter (inlined, or dropped by a branch) would silently
    // ignore its argument.
    if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} is not a parameter`);
  }
  return {
    sql: compiled.sql,
    query: compiled.query,
    queryId: compiled.queryId,
    slots,
    constants: compiled.parameters,
  };
}

/**
 * A query compiled once per dialect. `build` receives markers in place of the arguments and must
 * use each as a value (never branch on it); the result runs with the real arguments on any handle
 * (the database or a transaction). Variants that differ in shape are separate prepared queries.
 */
export function prepared<A extends unknown[], R>(
  arity: A['length'],
  build: (db: Db, ...params: A) => Compilable<R>,
): (db: Db, ...args: A) => Promise<R[]> {
  const markers = Array.from({ length: arity }, (_, i) => Object.freeze({ [MARK]: i })) as unknown as A;
  let sqlite: Compiled | undefined;
  let postgres: Compiled | undefined;
  return async (db, ...args) => {
    const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
    let c = isPg ? postgres : sqlite;
    if (!c) {
      c = compile(build(db, ...markers), arity);
      if (isPg) postgres = c;
      else sqlite = c;
    }
    const parameters = c.slots.map((slot, i) => (slot === -1 ? c.constants[i] : args[slot]));
    const result = await db.executeQuery<R>({
      sql: c.sql,
      query: c.query,
      queryId: c.queryId,
      parameters,
    });
    return result.rows;
  };
}
