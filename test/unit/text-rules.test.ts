import { describe, expect, it } from 'vitest';
import {
  jsonObject,
  jsonTextIssue,
  multiLine,
  singleLine,
  textProblem,
} from '../../src/domain/text-rules.ts';

// The one text rule of every boundary (S38): what it refuses, what it keeps, and that its messages
// fit an OAuth error_description (RFC 6749 §5.2).

describe('S38: the text rule', () => {
  it('single-line text refuses NUL, every C0 control and DEL, and unpaired surrogates', () => {
    for (let code = 0; code < 0x20; code++) {
      expect(textProblem(`a${String.fromCharCode(code)}b`, 'single-line'), `U+${code}`).toBeDefined();
    }
    expect(textProblem('a\u007fb', 'single-line')).toMatch(/control characters/);
    expect(textProblem('a\u0000b', 'single-line')).toBe('must not contain NUL characters (U+0000)');
    for (const lone of ['\ud800', 'a\udbffb', '\udc00', 'x\udfff', '\udc00\ud800']) {
      expect(textProblem(lone, 'single-line'), JSON.stringify(lone)).toMatch(/unpaired UTF-16 surrogates/);
    }
  });

  it('keeps ordinary text: accents, emoji (paired surrogates), C1-free Unicode, spaces', () => {
    for (const fine of [
      '',
      'Acme Support',
      'Zoë — café ☕',
      'Ticket 😀 #42',
      '日本語',
      'https://x.example/a?b=c',
    ]) {
      expect(textProblem(fine, 'single-line'), fine).toBeUndefined();
      expect(textProblem(fine, 'multi-line'), fine).toBeUndefined();
    }
  });

  it('multi-line text keeps tab, CR and LF, and refuses NUL and the other controls', () => {
    expect(textProblem('line one\r\n\tline two\n', 'multi-line')).toBeUndefined();
    expect(textProblem('a\u0000b', 'multi-line')).toMatch(/NUL/);
    expect(textProblem('a\u001b[2J', 'multi-line')).toBe(
      'must not contain control characters other than tab, CR and LF',
    );
    expect(textProblem('a\nb', 'single-line')).toMatch(/control characters/);
  });

  it('messages fit an OAuth error_description', () => {
    for (const bad of ['\u0000', '\u0007', '\ud800']) {
      for (const kind of ['single-line', 'multi-line'] as const) {
        expect(textProblem(bad, kind)).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
      }
    }
  });

  it('finds the first problem inside JSON, keys included, without echoing a key', () => {
    expect(jsonTextIssue({ a: 1, b: ['ok', { c: 'x\u0000' }] })).toEqual({
      path: ['b', 1, 'c'],
      message: 'must not contain NUL characters (U+0000)',
    });
    expect(jsonTextIssue({ a: { 'k\u0007': 1 } })).toEqual({
      path: ['a'],
      message: 'keys must not contain control characters (U+0000-U+001F, U+007F)',
    });
    expect(jsonTextIssue({ note: 'line\nline', n: 3, t: true, z: null })).toBeUndefined();
    expect(jsonTextIssue({ note: 'line\nline' }, 'single-line')?.path).toEqual(['note']);
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    let deep: unknown = 'a\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonTextIssue(deep)?.path.length).toBe(100_000);
  });

  it('zod helpers chain with min and max and report the rule as a custom issue', () => {
    const id = singleLine().min(1).max(5);
    expect(id.safeParse('abc').success).toBe(true);
    expect(id.safeParse('a\u0000').error?.issues[0]?.message).toMatch(/NUL/);
    expect(id.safeParse('abcdef').success).toBe(false);
    expect(multiLine().safeParse('a\nb').success).toBe(true);
    const meta = jsonObject(10);
    expect(meta.safeParse({ ticket: 4711, tags: ['a', 'b'] }).success).toBe(true);
    expect(meta.safeParse({ k: { deep: ['\ud800'] } }).error?.issues[0]?.path).toEqual(['k', 'deep', 0]);
  });
});
