// Imports point one way, down the layers: no module imports one that (through others) imports
// it back. Type-only imports and lazy `import()`s count too: a command that runs others is
// handed the command table rather than importing it.
import { describe, it, expect } from 'vitest';
import madge from 'madge';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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
    // the runbook format is one layer at the bottom; the loader (load/) sits above the checks: it validates
    // each check's params with the check's own schema
    const layers: Record<string, number> = {
      ...{ runbook: 0, process: 1, pg: 1, checks: 2, load: 2.5, state: 3, phases: 4, report: 5, screens: 6 },
      ...{ demo: 6, serve: 6, commands: 7 },
    };
    const rank = (f: string): number | undefined =>
      layers[f.split('/')[0]] ?? ({ 'cli.ts': 8, 'version.ts': 0 } as Record<string, number>)[f];
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

describe('the sample app', () => {
  it("imports nothing of Waymark's build output: it is the system Waymark operates, not a part of it", () => {
    const dir = 'examples/fluxstudio';
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const importing = files.filter((f) => /\bdist\//.test(readFileSync(join(dir, f), 'utf8'))).sort();
    expect(files.length).toBeGreaterThan(20);
    expect(importing).toEqual([]);
  });
});

describe('the size of a unit', () => {
  const tree = (files: Record<string, string>) => {
    const root = mkdtempSync(join(tmpdir(), 'size-'));
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), text);
    }
    return root;
  };
  const fn = (name: string, lines: number) =>
    `export function ${name}(): number {\n${'  let x = 1;\n'.repeat(lines - 3)}  return 1;\n}\n`;

  it('scripts/size-limits.mjs fails on a function over 80 lines and a src file over 500, and passes this tree', () => {
    const script = resolve('scripts/size-limits.mjs');
    const run = (root?: string) => spawnSync(process.execPath, [script, ...(root ? [root] : [])], { encoding: 'utf8' });
    const ok = tree({ 'src/a.ts': fn('short', 80), 'src/b/c.ts': fn('alsoShort', 40) });
    expect(run(ok).status).toBe(0);
    const long = tree({ 'src/a.ts': fn('tooLong', 81) });
    expect(run(long).status).toBe(1);
    expect(run(long).stderr).toContain('src/a.ts:1: tooLong is 81 lines');
    const arrow = tree({ 'src/a.tsx': `export const view = () => {\n${'  void 0;\n'.repeat(80)}};\n` });
    expect(run(arrow).stderr).toContain('view is 82 lines');
    const big = tree({ 'src/big.ts': Array.from({ length: 11 }, (_, i) => fn(`f${i}`, 46)).join('') });
    expect(run(big).stderr).toContain('src/big.ts: 506 lines');
    const here = run();
    expect(here.stderr).toBe('');
    expect(here.status).toBe(0);
  });

  it('has one command a file, named after the command', () => {
    const table = readFileSync('src/commands/table.ts', 'utf8');
    const entries = [...table.matchAll(/^ {2}(\w+): \{[\s\S]*?import\('\.\/([\w-]+)\.js'\)/gm)];
    expect(entries.length).toBeGreaterThan(15);
    expect(entries.filter(([, name, file]) => name !== file).map(([, name, file]) => `${name} in ${file}.ts`)).toEqual(
      [],
    );
  });
});
