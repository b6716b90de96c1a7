import { randomBytes } from 'node:crypto';

// Crockford base32: sortable as plain strings, no ambiguous letters.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix =
  | 'usr'
  | 'ws'
  | 'mem'
  | 'prj'
  | 'dom'
  | 'lnk'
  | 'rec'
  | 'key'
  | 'inv'
  | 'grt'
  | 'rtk'
  | 'evt'
  | 'par'
  | 'dlv'
  | 'msg'
  | 'whk'
  | 'int';

let lastMs = 0;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function freshRandom(): number[] {
  return Array.from(randomBytes(16), (b) => b % 32);
}

/** Increments the random part so ids minted in the same millisecond still sort in creation order. */
function increment(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return freshRandom();
}

/** A new opaque id `prefix_` + 26 base32 chars (48-bit ms time + 80 random bits), sortable by creation time. */
export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    lastRandom = increment(lastRandom);
  } else {
    lastMs = nowMs;
    lastRandom = freshRandom();
  }
  return `${prefix}_${encodeTime(lastMs)}${lastRandom.map((d) => ALPHABET[d]).join('')}`;
}

/** True when `value` looks like an id with the given prefix (cheap shape check before a lookup). */
export function isIdOf(prefix: IdPrefix, value: string): boolean {
  return (
    value.length === prefix.length + 27 &&
    value.startsWith(`${prefix}_`) &&
    /^[0-9a-z]+$/.test(value.slice(prefix.length + 1))
  );
}
