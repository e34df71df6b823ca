// Nested records as real stores write them: a list, a map keyed by id, or null (no records),
// each read only where the entity declares it; a map's record whose own key is another is malformed.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { countEntity, readEntities, streamEntity } from '../../src/checks/json-source.js';
import type { Entity } from '../../src/runbook/schema.js';

const projects = [
  { id: 'p1', tasks: [{ id: '1', title: 'in a list' }] },
  {
    id: 'p2',
    tasks: { a: { title: 'keyed, no id' }, b: { id: 'b', title: 'same id' }, c: { id: 'x', title: 'other id' } },
  },
  { id: 'p3', tasks: null },
];

function setup(flags: Partial<Entity>) {
  const dir = tempDir();
  writeFileSync(join(dir, 'projects.json'), JSON.stringify({ projects }));
  const data: Record<string, Entity> = {
    projects: { file: 'projects.json', path: 'projects', key: 'id' },
    tasks: { nested_in: 'projects', field: 'tasks', key: 'id', ...flags },
  };
  return { dir, data };
}

describe('nested records in a list, a map or null', () => {
  it('declared: a map gives its records (the key where a record has none), null gives none', async () => {
    const { dir, data } = setup({ also_as_map: true, null_is_empty: true });
    const bad: string[] = [];
    const got: unknown[] = [];
    for await (const r of streamEntity(data, 'tasks', dir, undefined, (w, what) => bad.push(`${w}: ${what}`)))
      got.push([r.parentKey, r.value.id, r.value.title]);
    expect(got).toEqual([
      ['p1', '1', 'in a list'],
      ['p2', 'a', 'keyed, no id'],
      ['p2', 'b', 'same id'],
    ]);
    expect(bad).toEqual(['projects.json projects[1].tasks["c"]: id "x" is not its key "c" in the map']);
    expect(await countEntity(data, 'tasks', dir)).toBe(3);
    // the one-pass reader (data.validate) reads the same
    const seen: unknown[] = [];
    const malformed: string[] = [];
    await readEntities(data, ['tasks'], dir, {
      onRecord: (_, v, parent) => void seen.push([parent, v.id]),
      onMalformed: (_, where) => void malformed.push(where),
    });
    expect(seen).toEqual([
      ['p1', '1'],
      ['p2', 'a'],
      ['p2', 'b'],
    ]);
    expect(malformed).toEqual(['projects.json projects[1].tasks["c"]']);
  });

  it('undeclared: a map and null are malformed, as before', async () => {
    const { dir, data } = setup({});
    const bad: string[] = [];
    for await (const _ of streamEntity(data, 'tasks', dir, undefined, (w, what) => bad.push(`${w}: ${what}`)));
    expect(bad).toEqual([
      'projects.json projects[1].tasks: object, not a list',
      'projects.json projects[2].tasks: null, not a list',
    ]);
  });
});
