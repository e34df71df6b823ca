// Awkward JSON values for the record readers' tests (Waymark's element scanner, the sample app's
// reader): strings with quotes, backslashes, brackets and keys' names in them, at random depths.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

/** A small deterministic generator: the same seed, the same documents. */
export function rand(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

const AWKWARD = ['', '"', '\\', '\\"', '{', '}', '[', ']', ',', ':', 'é', '😀', '\u0000', '\n', 'ab\\\\"c', '\u2028'];

/** A random value; `also` adds strings of the caller's (a key's own name, to be read as a value). */
export function awkwardValue(r: () => number, also: string[] = [], depth = 0): unknown {
  const words = [...AWKWARD, ...also];
  const k = Math.floor(r() * (depth > 2 ? 5 : 7));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return (Math.floor(r() * 1e6) / (r() < 0.5 ? 1 : 7)) * (r() < 0.3 ? -1 : 1);
  if (k === 3 || k === 4) return words[Math.floor(r() * words.length)] + String(Math.floor(r() * 100));
  if (k === 5) return Array.from({ length: Math.floor(r() * 4) }, () => awkwardValue(r, also, depth + 1));
  return Object.fromEntries(
    Array.from({ length: Math.floor(r() * 4) }, (_, i) => [
      words[Math.floor(r() * words.length)] + i,
      awkwardValue(r, also, depth + 1),
    ]),
  );
}

/** A writer of numbered JSON files (f0.json, f1.json, …) in a temp folder of the test file's. */
export function jsonFiles(): (text: string) => string {
  const dir = tempDir();
  let n = 0;
  return (text) => {
    const f = join(dir, `f${n++}.json`);
    writeFileSync(f, text);
    return f;
  };
}

/** Every value an async iterable gives, in order. */
export async function collect(values: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of values) out.push(v);
  return out;
}

/** A top-level array of every kind of scalar and an object, spaced oddly, and what it holds. */
export const SCALARS = {
  text: ' [1, -2.5e3 ,"x",true,null,{"a":[]}] ',
  values: [1, -2500, 'x', true, null, { a: [] }],
};
