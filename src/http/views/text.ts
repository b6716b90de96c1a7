// Wording helpers for the messages pages show beside their forms.

/** "title: must be 1 to 100 characters" → "Title must be 1 to 100 characters". */
export function friendly(message: string): string {
  return message.replace(/^(\w+): /, (_m, f: string) => `${f[0]!.toUpperCase()}${f.slice(1)} `);
}
