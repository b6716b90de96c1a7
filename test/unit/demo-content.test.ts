import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  ActionEntrySchema,
  ConsoleEntrySchema,
  NetworkEntrySchema,
  parseActionLog,
  parseConsoleNdjson,
  parseNetworkLog,
  SystemMetaSchema,
} from '../../src/domain/recording-resources.ts';
import {
  DEMO_MAX_ENTRIES,
  DEMO_MIN_ENTRIES,
  generateActionLog,
  generateConsoleLog,
  generateCustomMeta,
  generateNetworkLog,
  generateNotes,
  generateSystemMeta,
  serializeConsoleNdjson,
} from '../../src/services/demo-content.ts';

const DURATIONS = [0, 1_000, 15_000, 60_000, 180_000];
const SEEDS = [0, 1, 2, 42, 1234, 99_999, 'rec_demo_01'];

function expectSortedWithin(entries: readonly { ts: number }[], durationMs: number): void {
  for (let i = 0; i < entries.length; i++) {
    const ts = entries[i]!.ts;
    expect(ts).toBeGreaterThanOrEqual(0);
    expect(ts).toBeLessThanOrEqual(durationMs);
    if (i > 0) expect(ts).toBeGreaterThanOrEqual(entries[i - 1]!.ts);
  }
}

describe('demo content generators', () => {
  it('produce schema-valid, sorted logs of 20–120 entries within the duration', () => {
    for (const seed of SEEDS) {
      for (const durationMs of DURATIONS) {
        const logs = [
          [generateConsoleLog(seed, durationMs), ConsoleEntrySchema],
          [generateNetworkLog(seed, durationMs), NetworkEntrySchema],
          [generateActionLog(seed, durationMs), ActionEntrySchema],
        ] as const;
        for (const [entries, schema] of logs) {
          expect(entries.length).toBeGreaterThanOrEqual(DEMO_MIN_ENTRIES);
          expect(entries.length).toBeLessThanOrEqual(DEMO_MAX_ENTRIES);
          for (const entry of entries) expect(schema.safeParse(entry).success).toBe(true);
          expectSortedWithin(entries, durationMs);
        }
      }
    }
  });

  it('stay within 20–120 entries over many seeds', () => {
    for (let seed = 0; seed < 300; seed++) {
      for (const durationMs of [15_000, 180_000]) {
        for (const entries of [
          generateConsoleLog(seed, durationMs),
          generateNetworkLog(seed, durationMs),
          generateActionLog(seed, durationMs),
        ]) {
          expect(entries.length).toBeGreaterThanOrEqual(DEMO_MIN_ENTRIES);
          expect(entries.length).toBeLessThanOrEqual(DEMO_MAX_ENTRIES);
        }
      }
    }
  });

  it('always include a console error with a stack trace and a failed request', () => {
    for (let seed = 0; seed < 100; seed++) {
      const consoleLog = generateConsoleLog(seed, 15_000);
      const networkLog = generateNetworkLog(seed, 15_000);
      expect(consoleLog.some((e) => e.level === 'error')).toBe(true);
      expect(consoleLog.some((e) => e.level === 'error' && e.stack?.includes('/assets/'))).toBe(true);
      expect(networkLog.some((e) => e.status < 200 || e.status >= 300)).toBe(true);
    }
  });

  it('produce a realistic support-app session', () => {
    const actions = generateActionLog(7, 60_000);
    const network = generateNetworkLog(7, 60_000);
    const consoleLog = generateConsoleLog(7, 60_000);
    expect(actions[0]).toMatchObject({ ts: 0, type: 'navigation' });
    expect(new Set(actions.map((a) => a.type))).toEqual(new Set(['navigation', 'click', 'input']));
    expect(actions.filter((a) => a.type === 'click').every((a) => a.selector !== undefined)).toBe(true);
    expect(network.every((e) => new URL(e.url).pathname.startsWith('/api/'))).toBe(true);
    expect(network.every((e) => Number.isInteger(e.durationMs) && e.durationMs > 0)).toBe(true);
    expect(new Set(consoleLog.map((e) => e.level)).size).toBeGreaterThanOrEqual(3);
    // Nothing that looks like a credential leaks into the demo data.
    const text = JSON.stringify([actions, network, consoleLog]);
    expect(text).not.toMatch(/uspl_|password"?\s*:|Bearer (?!\[REDACTED\])/i);
  });

  it('are deterministic for a seed', () => {
    for (const seed of SEEDS) {
      expect(generateConsoleLog(seed, 15_000)).toEqual(generateConsoleLog(seed, 15_000));
      expect(generateNetworkLog(seed, 15_000)).toEqual(generateNetworkLog(seed, 15_000));
      expect(generateActionLog(seed, 15_000)).toEqual(generateActionLog(seed, 15_000));
      expect(generateSystemMeta(seed)).toEqual(generateSystemMeta(seed));
      expect(generateCustomMeta(seed)).toEqual(generateCustomMeta(seed));
      expect(generateNotes(seed)).toBe(generateNotes(seed));
    }
  });

  it('differ across seeds', () => {
    expect(generateConsoleLog(1, 15_000)).not.toEqual(generateConsoleLog(2, 15_000));
    expect(generateNetworkLog(1, 15_000)).not.toEqual(generateNetworkLog(2, 15_000));
    expect(generateActionLog(1, 15_000)).not.toEqual(generateActionLog(2, 15_000));
    const metas = new Set(SEEDS.map((seed) => JSON.stringify(generateCustomMeta(seed))));
    expect(metas.size).toBe(SEEDS.length);
  });

  it('generate metadata and notes', () => {
    for (const seed of SEEDS) {
      const meta = generateSystemMeta(seed);
      expect(SystemMetaSchema.safeParse(meta).success).toBe(true);
      expect(meta.userAgent).toMatch(/^Mozilla\/5\.0 /);
      expect(meta.url).toMatch(/^https:\/\//);
      expect(generateNotes(seed).length).toBeGreaterThan(20);
      expect(generateCustomMeta(seed)).toHaveProperty('ticketId');
    }
  });

  it('reject a negative or non-finite duration', () => {
    expect(() => generateConsoleLog(1, -1)).toThrow(RangeError);
    expect(() => generateNetworkLog(1, Number.NaN)).toThrow(RangeError);
  });
});

describe('log parsing', () => {
  it('round-trips generated console entries through NDJSON', () => {
    const entries = generateConsoleLog(5, 30_000);
    const text = serializeConsoleNdjson(entries);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n')).toHaveLength(entries.length);
    expect(parseConsoleNdjson(text)).toEqual({ entries, invalidLines: [] });
    expect(serializeConsoleNdjson([])).toBe('');
  });

  it('round-trips generated network and action logs through JSON', () => {
    const network = generateNetworkLog(5, 30_000);
    const actions = generateActionLog(5, 30_000);
    expect(parseNetworkLog(JSON.stringify(network))).toEqual({ entries: network, invalidLines: [] });
    expect(parseActionLog(JSON.stringify(actions))).toEqual({ entries: actions, invalidLines: [] });
  });

  it('skips and reports invalid NDJSON lines, sorting the rest', () => {
    const text = [
      '{"ts":50,"level":"warn","message":"b"}',
      'not json',
      '',
      '{"ts":10,"level":"log","message":"a","stack":null}',
      '{"ts":-1,"level":"log","message":"negative"}',
      '{"ts":20,"level":"trace","message":"bad level"}',
    ].join('\r\n');
    const result = parseConsoleNdjson(text);
    expect(result.entries).toEqual([
      { ts: 10, level: 'log', message: 'a' },
      { ts: 50, level: 'warn', message: 'b' },
    ]);
    expect(result.invalidLines.map((l) => l.line)).toEqual([2, 5, 6]);
    expect(result.invalidLines[1]!.error).toContain('ts');
  });

  it('reports invalid items of JSON-array logs by position', () => {
    const network = parseNetworkLog(
      JSON.stringify([
        { ts: 5, method: 'GET', url: '/api/a', status: 200, durationMs: 12 },
        { ts: 1, method: 'GET', url: '/api/b', status: 'ok', durationMs: 3 },
      ]),
    );
    expect(network.entries).toHaveLength(1);
    expect(network.invalidLines).toEqual([{ line: 2, error: expect.stringContaining('status') }]);

    const actions = parseActionLog(
      JSON.stringify([
        { ts: 0, type: 'navigation' },
        { ts: 3, type: 'click', x: 10, y: 20 },
        { ts: 4, type: 'click' },
      ]),
    );
    expect(actions.entries).toEqual([{ ts: 3, type: 'click', x: 10, y: 20 }]);
    expect(actions.invalidLines.map((l) => l.line)).toEqual([1, 3]);
  });

  it('handles empty, broken and NDJSON-shaped array logs', () => {
    expect(parseNetworkLog('  ')).toEqual({ entries: [], invalidLines: [] });
    expect(parseNetworkLog('[{"ts":1,').invalidLines).toEqual([{ line: 0, error: expect.any(String) }]);
    expect(parseActionLog('{"ts":0,"type":"navigation","url":"https://app.example.com/"}\n')).toEqual({
      entries: [{ ts: 0, type: 'navigation', url: 'https://app.example.com/' }],
      invalidLines: [],
    });
  });
});

describe('demo assets', () => {
  const asset = (name: string) => readFile(new URL(`../../assets/demo/${name}`, import.meta.url));

  it('has a WebM video (EBML magic bytes)', async () => {
    const webm = await asset('demo-recording.webm');
    expect([...webm.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    expect(webm.includes(Buffer.from('webm'))).toBe(true);
    expect(webm.length).toBeLessThan(500 * 1024);
  });

  it('has a PNG thumbnail of at most 50 KB', async () => {
    const png = await asset('demo-thumbnail.png');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeLessThanOrEqual(50 * 1024);
  });
});
