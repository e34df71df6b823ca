// Imports point one way, down the layers: no module imports one that (through others) imports
// it back. Type-only imports and lazy `import()`s count too: a command that runs others is
// handed the command table rather than importing it.
import { describe, it, expect } from 'vitest';
import madge from 'madge';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('the source tree', () => {
  it('has no import cycle', async () => {
    const graph = await madge('src', {
      fileExtensions: ['ts', 'tsx'],
      tsConfig: 'tsconfig.json',
    });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(80);
    expect(graph.circular()).toEqual([]);
  });

  it('has no line longer than 120 characters (Prettier keeps code there; strings and comments are ours)', () => {
    const files = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const long = files.flatMap((f) =>
      readFileSync(join('src', f), 'utf8')
        .split('\n')
        .map((l, i) => ({ at: `src/${f}:${i + 1}`, n: [...l].length }))
        .filter((x) => x.n > 120),
    );
    expect(files.length).toBeGreaterThan(80);
    expect(long).toEqual([]);
  });
});
