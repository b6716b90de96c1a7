// JSON text columns (links.meta, recordings.system_meta/custom_meta, integrations.config,
// webhook_endpoints.events, …): the one place that decodes and encodes them. Reads are lenient: a
// column that does not hold the expected shape reads as empty rather than failing the whole row.

/** A JSON-object column as a record; anything else (bad JSON, an array, a scalar) reads as `{}`. */
export function parseObjectColumn(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** A JSON string-array column; entries that are not strings are dropped, bad JSON reads as `[]`. */
export function parseStringListColumn(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** The text stored in a JSON column (a plain object or an array). */
export function encodeJsonColumn(value: object): string {
  return JSON.stringify(value);
}
