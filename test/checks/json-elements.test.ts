// The element scanner against JSON.parse, on documents chosen to hit every chunk boundary:
// escapes split across chunks, keys split, scalars split, strings with brackets in them.
import { describe, it, expect } from 'vitest';
import { jsonElements, JsonShapeError } from '../../src/checks/json-elements.js';
import { SCALARS, awkwardValue, collect, jsonFiles, rand } from '../helpers/json-values.js';

const file = jsonFiles();
const all = (f: string, path?: string, chunk?: number) => collect(jsonElements(f, path, undefined, chunk));

describe('jsonElements', () => {
  it('gives exactly what JSON.parse gives, at every chunk size from 1 byte up', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rand(seed);
      const items = Array.from({ length: 1 + Math.floor(r() * 12) }, () => awkwardValue(r));
      const decoy = { users: 'not this', 'us\\"ers': [1, 2], nested: { users: [9] } };
      const doc = { ...decoy, users: items, after: [{ users: [7] }] };
      const text = seed % 2 ? JSON.stringify(doc) : JSON.stringify(doc, null, seed % 4);
      const f = file(text);
      for (const chunk of [1, 2, 3, 5, 7, 64, 1 << 16])
        expect(await all(f, 'users', chunk)).toEqual(JSON.parse(text).users);
    }
  });
  it('reads a top-level array, a nested path, scalars and a byte order mark', async () => {
    expect(await all(file(SCALARS.text), undefined, 3)).toEqual(SCALARS.values);
    expect(await all(file('{"a":{"b":[{"id":1},{"id":2}]},"b":[3]}'), 'a.b', 4)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await all(file('\uFEFF{"users":[{"id":"é"}]}'), 'users', 2)).toEqual([{ id: 'é' }]);
    expect(await all(file('{"users":[]}'), 'users')).toEqual([]);
    expect(await all(file('{"projects":[1]}'), 'users')).toEqual([]);
  });
  it('says where an element is broken, and when the file is cut short or not JSON', async () => {
    await expect(all(file('{"users":[{"id":1},{"id":2,}]}'), 'users')).rejects.toThrow(
      /element 1 \(byte 19\) is not valid JSON/,
    );
    // the same place when the element spans chunks
    await expect(all(file('{"users":[{"id":1},{"id":2,}]}'), 'users', 4)).rejects.toThrow(
      /element 1 \(byte 19\) is not valid JSON/,
    );
    await expect(all(file('{"users":[{"id":1},{"id":2'), 'users')).rejects.toThrow(JsonShapeError);
    await expect(all(file('{"users":[{"id":1},{"id":2'), 'users')).rejects.toThrow(
      /ends inside the array "users": it is cut short/,
    );
    await expect(all(file('hello'), 'users')).rejects.toThrow(/not JSON/);
    await expect(all(file(''), 'users')).rejects.toThrow(/is empty/);
    await expect(all(file('{"a":1}'))).rejects.toThrow(/no top-level array/);
  });
  it('parses each element when it is asked for: those before a broken one are given first', async () => {
    // one chunk holds all three: parsed together, none would be given (and a chunk's records
    // would all be alive at once, which made the garbage collector copy them)
    const got: unknown[] = [];
    const read = async () => {
      for await (const v of jsonElements(file('{"users":[{"id":1},{"id":2},{"id":3,}]}'), 'users')) got.push(v);
    };
    await expect(read()).rejects.toThrow(/^f\d+\.json: element 2 \(byte 28\) is not valid JSON/);
    expect(got).toEqual([{ id: 1 }, { id: 2 }]);
  });
});
