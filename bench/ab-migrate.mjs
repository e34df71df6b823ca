// node bench/ab-migrate.mjs OTHER_TREE [--users N] [--pairs N]: the demo's migration of this tree
// against another checkout's (e.g. a git worktree of the commit before), run in turn on the
// same data and the same PostgreSQL, each into an emptied database; the ratio is taken pair by
// pair (a machine's drift moves both), and its median printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, chmodSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshDatabases } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const other = resolve(process.argv[2] ?? '');
const users = arg('users', '200000');
const pairs = Number(arg('pairs', '5'));
const trees = { this: resolve('.'), other };
const dir = mkdtempSync(join(tmpdir(), 'waymark-ab-'));
chmodSync(dir, 0o755);
const { server, dbUrl } = await freshDatabases(dir, ['waymark_ab']);
try {
  const U = new URL(dbUrl('waymark_ab'));
  const ws = join(dir, 'ws');
  writeFileSync(
    join(dir, '.env'),
    `DB_HOST=${U.hostname}\nDB_PORT=${U.port}\nDB_NAME=waymark_ab\nDB_USER=${decodeURIComponent(U.username)}\n` +
      `DB_PASSWORD=${decodeURIComponent(U.password)}\nDATA_DIR=${ws}\n`,
  );
  const env = { ...process.env, ENV_FILE: join(dir, '.env'), DATA_DIR: ws, PGPASSWORD: decodeURIComponent(U.password) };
  const run = (tree, script, args = []) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(tree, 'examples/fluxstudio', script), ...args], { cwd: join(tree, 'examples/fluxstudio'), env, encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${script} in ${tree}: exit ${r.status}\n${r.stdout.slice(-600)}${r.stderr.slice(-600)}`);
    return performance.now() - t0;
  };
  run(trees.this, 'generate-data.js', ['--users', users, '--out', ws]);
  const psql = (file) => run(trees.this, 'tools/psql.js', ['-h', U.hostname, '-p', U.port, '-U', decodeURIComponent(U.username), '-d', 'waymark_ab', '-v', 'ON_ERROR_STOP=1', ...(file.startsWith('-c') ? ['-c', file.slice(3)] : ['-f', join(trees.this, 'examples/fluxstudio', file)])]);
  psql('database/schema.sql');
  psql('database/migrations/006_add_tasks_and_activities.sql');
  const empty = () => psql('-c TRUNCATE users, projects, tasks, milestones, activities CASCADE');
  const times = { this: [], other: [] };
  for (let i = 0; i < pairs; i++)
    for (const side of i % 2 ? ['other', 'this'] : ['this', 'other']) {
      empty();
      times[side].push(run(trees[side], 'database/migrate-json-to-postgres.js'));
    }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratios = times.this.map((t, i) => t / times.other[i]);
  console.log(`this:  ${times.this.map((t) => (t / 1000).toFixed(2)).join(' ')} s (median ${(median(times.this) / 1000).toFixed(2)})`);
  console.log(`other: ${times.other.map((t) => (t / 1000).toFixed(2)).join(' ')} s (median ${(median(times.other) / 1000).toFixed(2)})`);
  console.log(`this/other pair by pair: ${ratios.map((r) => r.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`);
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
