import { describe, expect, it } from 'vitest';
import { formatBytes, storageText } from '../../src/http/dashboard/settings-general.tsx';

// The human-readable storage figure on Workspace Settings > General (decimal units).

describe('storage text', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_000, '1 KB'],
    [62_415, '62 KB'],
    [1_234_567, '1.2 MB'],
    [9_960_000, '10 MB'],
    [14_000_000, '14 MB'],
    [999_600, '1 MB'],
    [6_000_000_000, '6 GB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('names the count, singular or plural', () => {
    expect(storageText({ bytes: 1_234_567, recordings: 14 })).toBe('1.2 MB in 14 recordings');
    expect(storageText({ bytes: 62_415, recordings: 1 })).toBe('62 KB in 1 recording');
    expect(storageText({ bytes: 0, recordings: 0 })).toBe('0 B in 0 recordings');
  });
});
