// The Flux Studio sample system against the suite's PostgreSQL: migration killed and
// resumed, validation, rollback, and dual-write under concurrent signups.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createTestDatabase, psqlFileArgs } from '../helpers/pg.js';
import { harness } from '../helpers/checks.js';
import { Prober, type ProbeWindow } from '../../src/phases/probe.js';
import { tempDir } from '../helpers/tmp.js';
import { freePort } from '../../src/pg/embedded.js';

const APP = resolve('examples/fluxstudio');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ws: string;
let env: NodeJS.ProcessEnv;

function run(script: string, args: string[] = []) {
  return spawnSync(process.execPath, [join(APP, script), ...args], {
    cwd: APP,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** Like run, without blocking this process: the probe and the clients here keep going meanwhile. */
/** tools/load.js for some seconds at 50 signups/s; its summary */
const load = (seconds: number) => {
  const child = spawn(process.execPath, [join(APP, 'tools/load.js'), '--rate', '50', '--seconds', String(seconds)], {
    cwd: APP,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise<{
    sent: number;
    failed: number;
    causes: Record<string, number>;
    missing: number;
    missingFromJson: number;
    acknowledged: number;
    longestFailureMs: number;
  }>((res) => child.on('close', () => res(JSON.parse(out.trim().split('\n').pop()!))));
};

function runAsync(script: string, args: string[] = []): Promise<{ status: number | null; stdout: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(APP, script), ...args], {
      cwd: APP,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (status) => res({ status, stdout }));
  });
}

/** The app restarts between tests; a kept-alive socket to the old process fails once. */
async function post(url: string, body: unknown): Promise<Response> {
  const req = () =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    return await req();
  } catch {
    return req();
  }
}

function setFlags(flags: Record<string, string>) {
  let text = readFileSync(join(ws, '.env'), 'utf8');
  for (const [k, v] of Object.entries(flags)) text = text.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
  writeFileSync(join(ws, '.env'), text);
}

beforeAll(async () => {
  db = await createTestDatabase('flux');
  ws = tempDir();
  const u = new URL(db.url);
  writeFileSync(
    join(ws, '.env'),
    [
      `DB_HOST=${u.hostname}`,
      `DB_PORT=${u.port}`,
      `DB_NAME=${db.name}`,
      `DB_USER=${decodeURIComponent(u.username)}`,
      `DB_PASSWORD=${decodeURIComponent(u.password)}`,
      `PORT=${await freePort()}`,
      'USE_POSTGRES=false',
      'DUAL_WRITE_ENABLED=true',
      // the demo's hashing cost (src/demo/setup.ts): at node's 2^14, 50 signups/s is 1.8 cores of
      // hashing alone: on a 2-core machine shared with other tests, signups can queue past the
      // load tool's 10 s timeout (a CI run: 89 failed; the failure now names its causes)
      'SCRYPT_LOG2_N=12',
      '',
    ].join('\n'),
  );
  env = { ...process.env, ENV_FILE: join(ws, '.env'), PGPASSWORD: decodeURIComponent(u.password) };
  expect(run('generate-data.js', ['--users', '4000', '--out', ws]).status).toBe(0);
  const psql = (f: string) => run('tools/psql.js', psqlFileArgs(u, db.name, f));
  expect(psql('database/schema.sql').status).toBe(0);
  expect(psql('database/migrations/006_add_tasks_and_activities.sql').status).toBe(0);
});
afterAll(async () => {
  run('app-control.js', ['stop']);
  await db?.close();
});

describe('Flux Studio migration scripts', () => {
  it('test-connection prints the seed line', () => {
    const r = run('database/test-connection.js');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/✅ Database connected successfully at: \d{4}-/);
  });

  it('a migration killed mid-way is re-run and the data then validates at 100 %', async () => {
    const child = spawn(process.execPath, [join(APP, 'database/migrate-json-to-postgres.js')], {
      cwd: APP,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const t0 = Date.now();
    while (!/Migrating Projects/.test(out) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const partial = await db.query(
      'SELECT (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM tasks)::int AS t',
    );
    expect(partial.rows[0].u).toBe(4000);
    expect(partial.rows[0].t).toBeLessThan(6000);
    const again = run('database/migrate-json-to-postgres.js');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/USERS:\n {2}Total: 4000\n {2}Migrated: 4000 \(100\.0%\)\n {2}Errors: 0/);
    expect(again.stdout).toMatch(/✅ Migration completed successfully!/);
    const v = run('database/validate-data.js');
    expect(v.stdout).toMatch(/✅ Total Discrepancies Found: 0/);
    expect(v.stdout).toMatch(
      /TASKS:\n {2}JSON Count: 6000\n {2}PostgreSQL Count: 6000\n {2}Matched: 6000\n {2}Missing: 0\n {2}Accuracy: 100\.0%/,
    );
    expect(v.status).toBe(0);
    // legacy ids were mapped deterministically
    const legacy = await db.query(`SELECT id::text FROM users WHERE email = 'jason@fizol.io'`);
    expect(legacy.rows[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('validate-data reports planted discrepancies and exits 1', async () => {
    await db.query(`UPDATE users SET name = 'Wrong Name' WHERE email = 'user10@fluxstudio.art'`);
    const v = run('database/validate-data.js');
    await db.query(`UPDATE users SET name = (SELECT name FROM users WHERE false) WHERE false`);
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/❌ Total Discrepancies Found: 1/);
    expect(v.stdout).toMatch(/users .* name: JSON=.* PostgreSQL=Wrong Name/);
    run('database/migrate-json-to-postgres.js'); // idempotent upsert repairs it
    expect(run('database/validate-data.js').status).toBe(0);
  });

  it('dual-write loses no record under concurrent signups', async () => {
    setFlags({ USE_POSTGRES: 'false', DUAL_WRITE_ENABLED: 'true' });
    expect(run('app-control.js', ['restart']).status).toBe(0);
    const port = readFileSync(join(ws, '.env'), 'utf8').match(/^PORT=(\d+)/m)![1];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        fetch(`http://127.0.0.1:${port}/api/auth/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `burst${i}@x.io`, name: `Burst ${i}`, password: 'pw' }),
        }).then((r) => r.status),
      ),
    );
    expect(results.every((s) => s === 201)).toBe(true);
    const json = JSON.parse(readFileSync(join(ws, 'users.json'), 'utf8')).users.filter((u: { email: string }) =>
      u.email.startsWith('burst'),
    );
    expect(json).toHaveLength(60);
    const inPg = await db.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE 'burst%'`);
    expect(inPg.rows[0].n).toBe(60);
    const logs = run('app-control.js', ['logs', '--lines', '500']).stdout;
    expect(logs).toMatch(/✅ User created in JSON/);
    expect(logs).toMatch(/✅ User created in PostgreSQL/);
    // a duplicate signup is refused, in both stores
    const dup = await fetch(`http://127.0.0.1:${port}/api/auth/signup`, {
      method: 'POST',
      body: JSON.stringify({ email: 'burst1@x.io', name: 'x' }),
    });
    expect(dup.status).toBe(409);
  });

  it('a reload under 50 signups/s refuses no request and loses no record; a stop-then-start does refuse', async () => {
    const later = <T>(ms: number, fn: () => Promise<T>) => new Promise<T>((r) => setTimeout(() => r(fn()), ms));
    // Waymark's probe watches beside the load generator: both must see the same
    const port = readFileSync(join(ws, '.env'), 'utf8').match(/^PORT=(\d+)/m)![1];
    const windows: ProbeWindow[] = [];
    const probe = new Prober(
      'app',
      {
        url: `http://127.0.0.1:${port}/api/health`,
        expect_status: 200,
        expect_json: { status: 'ok' },
        interval: '100ms',
        timeout: '2s',
      },
      { during: () => undefined, onWindow: (w) => windows.push(w), onSummary: () => {} },
    );
    probe.start();
    const graceful = load(9);
    const reloads = [await later(1500, () => runAsync('app-control.js', ['restart']))];
    reloads.push(await later(300, () => runAsync('app-control.js', ['restart'])));
    for (const r of reloads) expect(r.stdout).toMatch(/reloaded fluxstudio .* worker \d+ → \d+, no request refused/);
    const g = await graceful;
    // how many were sent depends on how busy the machine is: enough to span both reloads
    expect(g.sent).toBeGreaterThan(150);
    const causes = `failures by cause: ${JSON.stringify(g.causes)}`;
    expect(g, causes).toMatchObject({ failed: 0, missing: 0, missingFromJson: 0 });
    expect(windows).toEqual([]);
    expect(g.acknowledged).toBeGreaterThan(100);
    // the old way leaves a gap: the same load sees refused requests
    const rough = load(5);
    await later(1500, () => runAsync('app-control.js', ['restart', '--stop-start']));
    const b = await rough;
    probe.stop();
    expect(windows.length).toBeGreaterThan(0);
    const longest = windows.reduce((a, w) => (w.ms > a.ms ? w : a));
    expect(longest.ms).toBeGreaterThan(500);
    expect(b.failed).toBeGreaterThan(0);
    expect(b.longestFailureMs).toBeGreaterThan(0);
    expect(b.missing).toBe(0);
  }, 60_000);

  it('the load tool waits for an app coming back before it counts a signup missing', async () => {
    const later = <T>(ms: number, fn: () => Promise<T>) => new Promise<T>((r) => setTimeout(() => r(fn()), ms));
    const l = load(1);
    // the load ends while the app is down; the app is back a moment later, with every signup
    await later(700, () => runAsync('app-control.js', ['stop']));
    await later(1500, () => runAsync('app-control.js', ['start']));
    const r = await l;
    expect(r.acknowledged).toBeGreaterThan(5);
    expect(r.missing).toBe(0);
  }, 60_000);

  it('a reload never closes a kept-alive connection under a client that is sending on it', async () => {
    // 30 keep-alive clients at random gaps: some connection is always idle, some request always
    // on its way. Closing idle connections on drain failed 10 of 2,565 such requests over 8 reloads.
    const port = readFileSync(join(ws, '.env'), 'utf8').match(/^PORT=(\d+)/m)![1];
    let stop = false;
    const failures: string[] = [];
    let sent = 0;
    const client = async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, Math.random() * 120));
        sent++;
        try {
          await (await fetch(`http://127.0.0.1:${port}/api/health`)).arrayBuffer();
        } catch (e) {
          failures.push(String((e as { cause?: { code?: string } }).cause?.code ?? e));
        }
      }
    };
    const clients = Array.from({ length: 30 }, client);
    const workers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const r = await runAsync('app-control.js', ['restart']);
      expect(r.stdout).toMatch(/reloaded fluxstudio/);
      workers.add(r.stdout.match(/→ (\d+)/)![1]);
    }
    stop = true;
    await Promise.all(clients);
    expect(workers.size).toBe(4);
    expect(sent).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  }, 60_000);

  it('the counts gate holds while 50 signups/s flow: rows written since the JSON was read are new, not differences', async () => {
    const spec = await import(join(APP, 'database/validation-spec.js'));
    const child = spawn(process.execPath, [join(APP, 'tools/load.js'), '--rate', '50', '--seconds', '6'], {
      cwd: APP,
      env,
      stdio: 'ignore',
    });
    // listened for from the start: the load may end before the check does
    const closed = new Promise((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, 2000));
    const h = harness(db.url, spec.entities, ws);
    const counts = await h.run('counts', {
      entities: ['users', 'projects', 'tasks', 'milestones'],
      created_column: 'created_at',
    });
    await h.close();
    await closed;
    expect(counts.status, counts.summary).toBe('pass');
    expect(counts.summary).toMatch(
      /counts consistent: users: JSON \d+ \(read at [\d:]+\), PostgreSQL \d+, -?\d+ created since: consistent/,
    );
  }, 60_000);

  it('a PostgreSQL write that fails while reads are on JSON is queued and retried, not lost', async () => {
    const port = readFileSync(join(ws, '.env'), 'utf8').match(/^PORT=(\d+)/m)![1];
    // make PostgreSQL refuse the insert (a trigger), then allow it again
    await db.query(
      `CREATE OR REPLACE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql`,
    );
    await db.query(`CREATE TRIGGER refuse_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse()`);
    const r = await fetch(`http://127.0.0.1:${port}/api/auth/signup`, {
      method: 'POST',
      body: JSON.stringify({ email: 'queued@x.io', name: 'Queued' }),
    });
    expect(r.status).toBe(201);
    expect(readFileSync(join(ws, 'pending-postgres-writes.jsonl'), 'utf8')).toMatch(/queued@x\.io/);
    const h1 = await (await fetch(`http://127.0.0.1:${port}/api/health`)).json();
    expect(h1.pendingPostgresWrites).toBe(1);
    await db.query(`DROP TRIGGER refuse_users ON users`);
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 15_000 && n === 0) {
      await new Promise((res) => setTimeout(res, 250));
      n = (await db.query(`SELECT count(*)::int AS n FROM users WHERE email = 'queued@x.io'`)).rows[0].n;
    }
    expect(n).toBe(1);
  });

  it('rollback-to-json --force restores JSON files whose records equal PostgreSQL, keeping a backup', async () => {
    setFlags({ USE_POSTGRES: 'true', DUAL_WRITE_ENABLED: 'false' });
    expect(run('app-control.js', ['restart']).status).toBe(0);
    const port = readFileSync(join(ws, '.env'), 'utf8').match(/^PORT=(\d+)/m)![1];
    // written to PostgreSQL only: JSON is behind until the rollback export
    expect(
      (await post(`http://127.0.0.1:${port}/api/auth/signup`, { email: 'pg-only@x.io', name: 'PG only' })).status,
    ).toBe(201);
    expect(readFileSync(join(ws, 'users.json'), 'utf8')).not.toMatch(/pg-only@x\.io/);
    expect(run('database/rollback-to-json.js').status).toBe(2); // refuses without --force
    const r = run('database/rollback-to-json.js', ['--force']);
    expect(r.status).toBe(0);
    expect(readFileSync(join(ws, 'users.json'), 'utf8')).toMatch(/pg-only@x\.io/);
    const backups = readdirSync(join(ws, 'backups'));
    expect(backups.some((b) => b.startsWith('before-rollback-'))).toBe(true);
    expect(existsSync(join(ws, 'backups', backups[0], 'users.json'))).toBe(true);
    const v = run('database/validate-data.js');
    expect(v.stdout).toMatch(/✅ Total Discrepancies Found: 0/);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const n = (await c.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
    await c.end();
    expect(JSON.parse(readFileSync(join(ws, 'users.json'), 'utf8')).users).toHaveLength(n);
  });
});
