// The sample app's own record reader (examples/fluxstudio/database/json-stream.js) against
// JSON.parse, at every chunk boundary: escapes, keys and records split across chunks.
import { describe, it, expect } from 'vitest';
import { dirname, join } from 'node:path';
// @ts-expect-error -- plain JS of the demo app
import { records } from '../../examples/fluxstudio/database/json-stream.js';
import { SCALARS, awkwardValue, collect, jsonFiles, rand } from '../helpers/json-values.js';

const file = jsonFiles();
const all = (f: string, key?: string, chunk?: number) => collect(records(f, key, chunk));

describe("the sample app's JSON record reader", () => {
  it('gives exactly what JSON.parse gives, at every chunk size from 1 byte up', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rand(seed);
      const items = Array.from({ length: 1 + Math.floor(r() * 10) }, () => awkwardValue(r, ['users']));
      // keys and values named like the key, before and inside: only the top-level key's array counts
      const doc = {
        version: 'users',
        'us\\"ers': [1, 2],
        nested: { users: [9] },
        users: items,
        after: [{ users: [7] }],
      };
      const text = seed % 2 ? JSON.stringify(doc) : JSON.stringify(doc, null, seed % 4);
      const f = file(text);
      for (const chunk of [1, 2, 3, 5, 7, 64, 1 << 16]) expect(await all(f, 'users', chunk)).toEqual(items);
      const top = file(JSON.stringify(items, null, seed % 3));
      for (const chunk of [1, 3, 1 << 16]) expect(await all(top, 'users', chunk)).toEqual(items);
    }
  });

  it('reads scalars and null records, a byte order mark, an empty array, a file without the key', async () => {
    expect(await all(file(SCALARS.text), undefined, 3)).toEqual(SCALARS.values);
    expect(await all(file('\uFEFF{"users":[{"id":"é"}]}'), 'users', 2)).toEqual([{ id: 'é' }]);
    expect(await all(file('{"users":[]}'), 'users')).toEqual([]);
    expect(await all(file('{"projects":[1]}'), 'users')).toEqual([]);
    expect(await all(join(dirname(file('[]')), 'absent.json'), 'users')).toEqual([]);
  });

  it('says where a record is broken, and when the file is cut short, empty or not JSON', async () => {
    for (const chunk of [4, 1 << 16])
      await expect(all(file('{"users":[{"id":1},{"id":2,}]}'), 'users', chunk)).rejects.toThrow(
        /record 1 \(byte 19\) is not valid JSON/,
      );
    await expect(all(file('{"users":[{"id":1},{"id":2'), 'users')).rejects.toThrow(
      /ends inside its array: it is cut short/,
    );
    await expect(all(file('{"meta":{"a":1'), 'users')).rejects.toThrow(/is cut short/);
    await expect(all(file('hello'), 'users')).rejects.toThrow(/is not JSON: it does not begin with \{ or \[/);
    await expect(all(file(' \n'), 'users')).rejects.toThrow(/is empty/);
  });
});
