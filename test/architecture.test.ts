// Imports point one way, down the layers: no module imports one that (through others) imports
// it back. Type-only imports and lazy `import()`s count too: a command that runs others is
// handed the command table rather than importing it.
import { describe, it, expect } from 'vitest';
import madge from 'madge';

describe('the source tree', () => {
  it('has no import cycle', async () => {
    const graph = await madge('src', {
      fileExtensions: ['ts', 'tsx'],
      tsConfig: 'tsconfig.json',
    });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(80);
    expect(graph.circular()).toEqual([]);
  });
});
