// npm run bench [-- --users 200000] [--runs 5] [--only validate,version,first-frame,db-connection,monitor-tick,migrate,report]
// Each figure is measured beside its floor, interleaved (figure, floor, figure, floor, …), and
// the medians are compared: the ratio is what counts, not the machine. Needs `psql` (system
// PostgreSQL client) for the copy floors; without it those rows say so and are skipped.
// Starts an embedded PostgreSQL in a temp folder unless DATABASE_URL is set.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, chmodSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { freshDatabases } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const users = Number(arg('users', '200000'));
// five: on a 2-core VM one run of data-validation moves by a tenth, its median of five by less
const runs = Number(arg('runs', '5'));
const only = arg('only', '')?.split(',').filter(Boolean);
const want = (name) => !only.length || only.includes(name);
// --profile DIR: V8 CPU profiles of waymark's own runs, to see where the time goes
const profile = arg('profile') ? ['--cpu-prof', '--cpu-prof-dir', resolve(arg('profile'))] : [];
const ROOT = resolve('.');
const APP = join(ROOT, 'examples/fluxstudio');
const BIN = join(ROOT, 'bin/waymark.js');
const PSQL = ['/usr/lib/postgresql/18/bin/psql', '/usr/lib/postgresql/17/bin/psql', '/usr/lib/postgresql/16/bin/psql', '/usr/lib/postgresql/15/bin/psql', '/usr/bin/psql'].find(existsSync);

const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));
chmodSync(dir, 0o755);
let server;
const url = process.env.DATABASE_URL;
const rows = [];

/**
 * Runs a whole command, spawned directly (nothing wrapped around it, as around its floor): its
 * wall time in ms and its output. Peak memory is taken in a run of its own (peakMb).
 */
function timed(cmd, args, env = {}, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28, input: opts.input });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-800)}`);
  return { ms, out: r.stdout };
}
/** The peak RSS in MB of one more run of a command, under GNU time (never a timed run). */
function peakMb(cmd, args, env = {}, opts = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Interleaves the figure and its floor `n` times (each may be async); records medians and the
 * ratio. `memory`, when given, is one more run of the figure for its peak RSS.
 */
async function pair(name, goal, n, figure, floor, note = '', memory) {
  const f = [];
  const g = [];
  for (let i = 0; i < n; i++) {
    f.push((await figure()).ms);
    g.push((await floor()).ms);
  }
  const rss = memory ? memory() : 0;
  const row = { name, value: median(f), floor: median(g), ratio: median(f) / median(g), goal, rss, note };
  rows.push(row);
  print(row);
}

/**
 * Starts a command on a pseudo-terminal of its own (util-linux script: its stdin and stdout are
 * the pty, as an operator's terminal is) and resolves when `text` is on the screen: the time from
 * the spawn to the first byte written and to the text. The command is then killed. The pty is
 * 80×24 as an operator's terminal has a size: script, spawned without a terminal, makes one of
 * 0×0, where Waymark cannot know the start screen fits and leaves the drawing to Ink (2.7× its
 * floor, measured so from acdfe16 on). Figure and floor get the same stty before them.
 */
function onPty(command, text, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('script', ['-qfec', `stty cols 80 rows 24; ${command}`, '/dev/null'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, COLUMNS: '80', LINES: '24', ...env } });
    let out = '';
    let first;
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    };
    const timer = setTimeout(() => (stop(), reject(new Error(`${command}: "${text}" not on the screen in 15 s:\n${out.slice(-400)}`))), 15_000);
    child.stdout.on('data', (d) => {
      first ??= performance.now() - t0;
      out += d;
      if (!out.includes(text)) return;
      const ms = performance.now() - t0;
      clearTimeout(timer);
      stop();
      resolve({ ms, first });
    });
  });
}
const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
function print(r) {
  const ok = r.ratio <= r.goal ? 'ok' : 'OVER';
  const goal = r.goal === Infinity ? '(measured, no goal)' : `(goal ≤ ${r.goal}×, ${ok})`;
  console.log(`${r.name.padEnd(26)} ${fmt(r.value).padStart(9)} ${fmt(r.floor).padStart(9)} ${r.ratio.toFixed(2).padStart(6)}× ${goal}${r.rss ? `  peak ${r.rss.toFixed(0)} MB` : ''}${r.note ? `  ${r.note}` : ''}`);
}

try {
  console.log(`waymark bench: ${users} users, median of ${runs} (small figures: of ${runs * 5}); ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log(`${'figure'.padEnd(26)} ${'value'.padStart(9)} ${'floor'.padStart(9)} ${'ratio'.padStart(7)}`);

  // --- whole-process start-up figures
  if (want('version')) await pair('waymark --version', 1.2, runs * 5, () => timed(process.execPath, [BIN, '--version']), () => timed(process.execPath, ['-e', '0']), 'floor: node -e 0');
  if (want('first-frame')) {
    // The start screen as an operator meets it: waymark on a pty, from its spawn to "Press Enter"
    // on the screen (and to its first byte), against node printing one line started the same way.
    const state = join(dir, 'ff');
    const env = { WAYMARK_STATE_DIR: state, SMOKE_WORK_DIR: join(state, 'w') };
    const tui = `node ${BIN} --runbook examples/smoke.yaml`;
    const floor = () => onPty(`node -e "console.log('ready')"`, 'ready', env);
    const firstByte = [];
    await pair('TUI start screen (pty)', 2, runs * 5, async () => {
      const r = await onPty(tui, 'Press Enter', env);
      firstByte.push(r.first);
      return r;
    }, floor, 'floor: node printing one line, on a pty the same way');
    const floors = rows.at(-1).floor;
    const fb = { name: 'TUI first line (pty)', value: median(firstByte), floor: floors, ratio: median(firstByte) / floors, goal: 1.5, rss: 0, note: 'the first byte on the screen, from the same runs' };
    rows.push(fb);
    print(fb);
  }

  // --- the database
  const dbs = await freshDatabases(dir, ['waymark_bench', 'waymark_floor'], url);
  server = dbs.server;
  const { dbUrl } = dbs;
  const U = new URL(dbUrl('waymark_bench'));
  const pgEnv = { PGHOST: U.hostname, PGPORT: U.port, PGUSER: decodeURIComponent(U.username), PGPASSWORD: decodeURIComponent(U.password) };

  if (want('db-connection')) {
    const bare = join(dir, 'bare-connect.mjs');
    writeFileSync(bare, `import pg from '${join(ROOT, 'node_modules/pg/lib/index.js')}';\nconst c = new pg.Client({ connectionString: process.env.DATABASE_URL });\nawait c.connect();\nawait c.query('SELECT 1');\nawait c.end();\n`);
    // a staging run (runbook.yaml is of an environment); staging names its database, here the bench's
    const env = { DATABASE_URL: dbUrl('waymark_bench'), WAYMARK_STATE_DIR: join(dir, 'state'), WAYMARK_ENV: 'staging', DB_NAME: 'waymark_bench' };
    await pair('check db-connection', 1.5, runs * 5, () => timed(process.execPath, [BIN, 'check', 'db-connection'], env), () => timed(process.execPath, [bare], env), 'floor: bare node-postgres connect + SELECT 1');
  }

  if (want('monitor-tick')) {
    // every monitoring check of runbook.yaml once, in one process, against the bench database
    // (pg_stat_statements may be missing: a check that cannot run still costs its round trips);
    // floor: the same number of SELECT 1 round trips on one connection
    const tick = join(dir, 'tick.mjs');
    writeFileSync(
      tick,
      `const { loadRunbookFile } = await import('${join(ROOT, 'dist/load/runbook-cache.js')}');
const { runCheck } = await import('${join(ROOT, 'dist/checks/run.js')}');
const { ConnectionManager } = await import('${join(ROOT, 'dist/checks/pg.js')}');
const lr = await loadRunbookFile('${join(ROOT, 'runbook.yaml')}', { environment: 'production' });
const ids = lr.runbook.monitoring.checks;
const connections = new ConnectionManager(lr.runbook.connections);
const ctx = { connections, connectionDefs: lr.runbook.connections, data: lr.runbook.data, baseDir: lr.dir, redactor: lr.redactor, baselines: {} };
for (const id of ids) await runCheck(id, lr.runbook.checks[id], ctx); // warm, as a session's later ticks are
const t0 = performance.now();
for (const id of ids) await runCheck(id, lr.runbook.checks[id], ctx);
console.log(JSON.stringify({ ms: performance.now() - t0, n: ids.length }));
await connections.close();
`,
    );
    const floorFile = join(dir, 'tick-floor.mjs');
    writeFileSync(
      floorFile,
      `import pg from '${join(ROOT, 'node_modules/pg/lib/index.js')}';
const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
await c.connect();
await c.query('SELECT 1');
const t0 = performance.now();
for (let i = 0; i < Number(process.argv[2]); i++) await c.query('SELECT 1');
console.log(JSON.stringify({ ms: performance.now() - t0 }));
await c.end();
`,
    );
    const env = { DATABASE_URL: dbUrl('waymark_bench'), APP_POOL_NAME: 'fluxstudio', API_URL: 'http://127.0.0.1:9' };
    const inner = (file, args = []) => ({ ms: JSON.parse(timed(process.execPath, [file, ...args], env).out.trim().split('\n').pop()).ms });
    const n = String(JSON.parse(timed(process.execPath, [tick], env).out.trim().split('\n').pop()).n);
    await pair('monitor tick (in process)', Infinity, runs * 5, () => inner(tick), () => inner(floorFile, [n]), `floor: ${n} × SELECT 1 on one connection`);
  }

  if (want('validate') || want('migrate')) {
    const ws = join(dir, 'ws');
    writeFileSync(join(dir, '.env'), `DB_HOST=${U.hostname}\nDB_PORT=${U.port}\nDB_NAME=waymark_bench\nDB_USER=${decodeURIComponent(U.username)}\nDB_PASSWORD=${decodeURIComponent(U.password)}\nDATA_DIR=${ws}\n`);
    const appEnv = { ENV_FILE: join(dir, '.env'), DATA_DIR: ws, ...pgEnv };
    timed(process.execPath, ['generate-data.js', '--users', String(users), '--out', ws], appEnv, { cwd: APP });
    const mb = (f) => statSync(join(ws, f)).size / 1e6;
    console.log(`  data: users.json ${mb('users.json').toFixed(0)} MB, projects.json ${mb('projects.json').toFixed(0)} MB`);
    const psqlJs = (db, args) => timed(process.execPath, ['tools/psql.js', '-d', db, '-v', 'ON_ERROR_STOP=1', ...args], appEnv, { cwd: APP });
    for (const db of ['waymark_bench', 'waymark_floor']) {
      psqlJs(db, ['-f', 'database/schema.sql']);
      psqlJs(db, ['-f', 'database/migrations/006_add_tasks_and_activities.sql']);
    }
    const tables = ['users', 'projects', 'tasks', 'milestones'];
    const migrate = () => timed(process.execPath, ['database/migrate-json-to-postgres.js'], appEnv, { cwd: APP });
    const first = migrate();
    if (!PSQL) console.log('  (no psql on this machine: the copy floors are skipped; apt-get install -y postgresql-client)');
    const psql = (db, command) => timed(PSQL, ['-X', '-q', '-d', db, '-c', command], pgEnv);
    if (PSQL) for (const t of tables) psql('waymark_bench', `\\copy ${t} TO '${join(dir, `${t}.copy`)}'`);

    if (want('validate') && PSQL) {
      const env = { DATABASE_URL: dbUrl('waymark_bench'), DATA_DIR: ws, WAYMARK_STATE_DIR: join(dir, 'state') };
      const parse = join(dir, 'parse.mjs');
      writeFileSync(parse, `import { readFileSync } from 'node:fs';\nfor (const f of ['users.json', 'projects.json']) JSON.parse(readFileSync('${ws}/' + f, 'utf8'));\n`);
      const copyAndParse = () => {
        const a = timed(PSQL, ['-X', '-q', '-d', 'waymark_bench', ...tables.flatMap((t) => ['-c', `\\copy ${t} TO '/dev/null'`])], pgEnv);
        const b = timed(process.execPath, [parse]);
        return { ms: a.ms + b.ms };
      };
      const floorNote = 'floor: psql \\copy TO of the 4 tables + JSON.parse of both files';
      await pair(
        'check data-validation',
        2,
        runs,
        () => timed(process.execPath, [...profile, BIN, 'check', 'data-validation'], env),
        copyAndParse,
        floorNote,
        () => peakMb(process.execPath, [BIN, 'check', 'data-validation'], env),
      );
      // the sample app's own comparison (its validate-data.js), on the same data against the same floor
      const script = ['database/validate-data.js'];
      await pair(
        'demo validate-data.js',
        Infinity,
        runs,
        () => timed(process.execPath, script, appEnv, { cwd: APP }),
        copyAndParse,
        floorNote,
        () => peakMb(process.execPath, script, appEnv, { cwd: APP }),
      );
    }
    if (want('migrate') && PSQL) {
      const empty = (db) => psql(db, `TRUNCATE ${tables.join(', ')}, activities CASCADE`);
      await pair(
        'demo migrate (empty db)',
        1.5,
        runs,
        () => {
          empty('waymark_bench');
          return migrate();
        },
        () => {
          empty('waymark_floor');
          return timed(PSQL, ['-X', '-q', '-d', 'waymark_floor', ...tables.flatMap((t) => ['-c', `\\copy ${t} FROM '${join(dir, `${t}.copy`)}'`])], pgEnv);
        },
        `floor: psql \\copy FROM of the same rows; first run ${fmt(first.ms)}`,
        () => {
          empty('waymark_bench');
          return peakMb(process.execPath, ['database/migrate-json-to-postgres.js'], appEnv, { cwd: APP });
        },
      );
    }
  }
  if (want('report')) {
    // the demo walked to its end once (non-interactively, as its test does), then its whole signed report
    const state = join(dir, 'demo-state');
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'bench', WAYMARK_CLOCK_OFFSET: '0s' };
    timed(process.execPath, [BIN, 'demo', '--non-interactive', '--yes'], env, { allowFail: true });
    timed(process.execPath, [BIN, 'demo', '--non-interactive', '--yes'], { ...env, WAYMARK_CLOCK_OFFSET: '8d' }, { allowFail: true });
    const out = join(dir, 'report.html');
    await pair('report --all --format html', Infinity, runs * 5, () => timed(process.execPath, [BIN, 'demo', 'report', '--all', '--format', 'html', '--out', out], env), () => timed(process.execPath, ['-e', '0']), 'floor: node -e 0; the demo walked to its end');
  }
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
const over = rows.filter((r) => r.ratio > r.goal);
console.log(over.length ? `${over.length} of ${rows.length} figures over their goal: ${over.map((r) => r.name).join(', ')}` : `all ${rows.length} figures within their goal`);
