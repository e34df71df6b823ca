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

  it('imports point down the layers: format, process runner, checks, state, engine, report, screens, commands', async () => {
    // the loader sits above the checks: it validates each check's params with the check's own schema
    const rank = (f: string): number | undefined =>
      ({ 'runbook/loader.ts': 2.5, 'runbook/crosscheck.ts': 2.5, 'runbook/runbook-cache.ts': 2.5 })[f] ??
      { runbook: 0, process: 1, pg: 1, checks: 2, state: 3, phases: 4, report: 5, screens: 6, demo: 6, commands: 7 }[
        f.split('/')[0]
      ] ??
      ({ 'cli.ts': 8, 'version.ts': 0 } as Record<string, number>)[f];
    const graph = await madge('src', { fileExtensions: ['ts', 'tsx'], tsConfig: 'tsconfig.json' });
    const wrong: string[] = [];
    for (const [from, deps] of Object.entries(graph.obj()))
      for (const to of deps) {
        const [a, b] = [rank(from), rank(to)];
        if (a === undefined || b === undefined) wrong.push(`${from} -> ${to}: not in a layer`);
        else if (b > a || (a === b && from.split('/')[0] !== to.split('/')[0])) wrong.push(`${from} -> ${to}`);
      }
    expect(wrong).toEqual([]);
  });
});
