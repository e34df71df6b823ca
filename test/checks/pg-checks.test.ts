import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { createTestDatabase, serverUrl, withDatabase } from '../helpers/pg.js';
import { harness } from '../helpers/checks.js';
import { freePort } from '../../src/pg/embedded.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let h: ReturnType<typeof harness>;

beforeAll(async () => {
  db = await createTestDatabase('checks');
  await db.query(`CREATE TABLE users (id uuid PRIMARY KEY, email text UNIQUE NOT NULL, name text)`);
  await db.query(`CREATE TABLE loose (id int, label text)`); // no index at all
  await db.query(
    `INSERT INTO users SELECT gen_random_uuid(), 'u' || g || '@x.io', 'U' || g FROM generate_series(1, 50) g`,
  );
  await db.query(`INSERT INTO users VALUES ('00000000-0000-0000-0000-000000000001', 'test@example.com', 'Test')`);
  await db.query(`INSERT INTO loose VALUES (1, 'a'), (2, 'b'), (2, 'b again'), (3, 'c'), (3, 'c'), (3, 'c')`);
  h = harness(db.url);
});
afterAll(async () => {
  await h?.close();
  await db?.close();
});

describe('pg.connection', () => {
  it('passes with server version, server time and latency', async () => {
    const r = await h.run('pg.connection');
    expect(r.status).toBe('pass');
    expect(r.metrics.server_version).toMatch(/^\d+/);
    expect(typeof r.metrics.latency_ms).toBe('number');
    expect(r.summary).toMatch(/connected to .*PostgreSQL \d+/);
  });

  const failing: Array<[string, () => Promise<string>, string, RegExp]> = [
    [
      'wrong password',
      async () => {
        const u = new URL(serverUrl());
        u.password = 's3cret-pass';
        return withDatabase(u.toString(), db.name);
      },
      'bad-credentials',
      /DB_PASSWORD/,
    ],
    ['unknown database', async () => withDatabase(serverUrl(), 'no_such_db_xyz'), 'database-missing', /createdb/],
    [
      'connection refused',
      async () => {
        const u = new URL(serverUrl());
        u.port = String(await freePort());
        return u.toString();
      },
      'refused',
      /systemctl status postgresql/,
    ],
  ];
  it.each(failing)('%s: says which failure and how to fix it, within the timeout', async (_n, makeUrl, kind, hint) => {
    const bad = harness(await makeUrl());
    const t0 = Date.now();
    const r = await bad.run('pg.connection', {}, { timeout: '5s' });
    await bad.close();
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(r.status).toBe('fail');
    expect(r.metrics.failure).toBe(kind);
    expect(r.hint).toMatch(hint);
    expect(JSON.stringify(r)).not.toContain('s3cret-pass');
  });

  it('a server that accepts TCP but never answers: timeout, not a hang', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const bad = harness(`postgres://u:p@127.0.0.1:${port}/x`);
    const t0 = Date.now();
    const r = await bad.run('pg.connection', {}, { timeout: '2s' });
    await bad.close();
    silent.close();
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(r.status).toBe('fail');
    expect(r.metrics.failure).toBe('timeout');
  });
});

describe('pg.query', () => {
  it('passes when the test user exists', async () => {
    const r = await h.run('pg.query', {
      sql: 'SELECT id, email FROM users WHERE email = $1',
      args: ['test@example.com'],
      expect_rows: 1,
    });
    expect(r.status).toBe('pass');
    expect(r.evidence?.[0].rows[0]).toEqual(['00000000-0000-0000-0000-000000000001', 'test@example.com']);
  });
  it('fails when the row is missing', async () => {
    const r = await h.run('pg.query', {
      sql: 'SELECT id FROM users WHERE email = $1',
      args: ['ghost@example.com'],
      expect_rows: 1,
    });
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/0 rows, expected 1/);
  });
  it('compares a column to a value', async () => {
    const ok = await h.run('pg.query', {
      sql: 'SELECT count(*)::int AS n FROM users',
      expect: [{ column: 'n', op: '>=', value: 51 }],
    });
    expect(ok.status).toBe('pass');
    const bad = await h.run('pg.query', {
      sql: 'SELECT count(*)::int AS n FROM users',
      expect: [{ column: 'n', op: '=', value: 7 }],
    });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toMatch(/n = 51, expected = 7/);
  });
  it('is read-only: a write is refused by the server', async () => {
    const r = await h.run('pg.query', { sql: "INSERT INTO loose VALUES (9, 'nope')" });
    expect(r.status).toBe('error');
    expect(r.summary).toMatch(/read-only transaction/);
    const n = await db.query('SELECT count(*)::int AS n FROM loose WHERE id = 9');
    expect(n.rows[0].n).toBe(0);
  });
  it('a query slower than the timeout is cancelled and reported quickly', async () => {
    const t0 = Date.now();
    const r = await h.run('pg.query', { sql: 'SELECT pg_sleep(10)' }, { timeout: '1s' });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.status).toBe('error');
    expect(`${r.summary} ${r.metrics.failure}`).toMatch(/statement_timeout|query-timeout|timed out/);
  });
});

describe('pg.pool', () => {
  it('groups connections by state and passes when nothing waits', async () => {
    const r = await h.run('pg.pool', { max_waiting: 5 });
    expect(r.status).toBe('pass');
    expect(r.metrics).toMatchObject({ waiting_on_locks: 0 });
    expect(typeof r.metrics.total).toBe('number');
  });
  it('fails when more sessions wait on locks than allowed', async () => {
    const holder = new pg.Client({ connectionString: db.url, application_name: 'locktest' });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE loose IN ACCESS EXCLUSIVE MODE');
    const waiters = await Promise.all(
      [1, 2, 3].map(async () => {
        const c = new pg.Client({ connectionString: db.url, application_name: 'locktest' });
        await c.connect();
        const q = c.query('SELECT count(*) FROM loose').catch(() => null);
        return { c, q };
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const r = await h.run('pg.pool', { max_waiting: 2, application_name: 'locktest' });
    expect(r.status).toBe('fail');
    expect(r.metrics.waiting_on_locks).toBe(3);
    expect(r.summary).toMatch(/3 sessions waiting on locks > 2/);
    await holder.query('ROLLBACK');
    await Promise.all(waiters.map((w) => w.q));
    await Promise.all([holder, ...waiters.map((w) => w.c)].map((c) => c.end()));
  });
  it("reads the app pool's counters from a health endpoint", async () => {
    const http = await import('node:http');
    let waiting = 0;
    const srv = http.createServer((_q, res) =>
      res.end(JSON.stringify({ status: 'ok', pool: { totalCount: 20, idleCount: 15, waitingCount: waiting } })),
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/api/health`;
    const ok = await h.run('pg.pool', { health_url: url });
    expect(ok.status).toBe('pass');
    expect(ok.metrics).toMatchObject({ app_total: 20, app_idle: 15, app_waiting: 0 });
    waiting = 9;
    const bad = await h.run('pg.pool', { health_url: url });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toMatch(/app pool: 9 requests waiting > 5/);
    srv.close();
  });
});

describe('pg.slow-queries', () => {
  it('without the extension in this database: "unavailable" and how to enable it, plus the fallback', async () => {
    const r = await h.run('pg.slow-queries');
    expect(r.status).toBe('warn');
    expect(r.metrics.pg_stat_statements).toBe('unavailable');
    expect(r.summary).toMatch(
      /pg_stat_statements unavailable \(extension not created\); fallback: 0 statements running longer than 1000 ms/,
    );
    expect(r.hint).toMatch(/CREATE EXTENSION pg_stat_statements/);
  });
  it('without the extension, the fallback finds statements running longer than the threshold right now', async () => {
    const sleeper = new pg.Client({ connectionString: db.url });
    await sleeper.connect();
    const q = sleeper.query('SELECT pg_sleep(3)').catch(() => null);
    await new Promise((r) => setTimeout(r, 800));
    const r = await h.run('pg.slow-queries', { max_mean_ms: 300 });
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/fallback: 1 statement running longer than 300 ms now/);
    expect(JSON.stringify(r.evidence)).toMatch(/pg_sleep\(3\)/);
    await q;
    await sleeper.end();
  });

  it('with the extension: passes under the threshold and fails over it', async () => {
    const d2 = await createTestDatabase('slow');
    await d2.query('CREATE EXTENSION pg_stat_statements');
    await d2.query('SELECT pg_sleep(0.3)');
    const h2 = harness(d2.url);
    const ok = await h2.run('pg.slow-queries', { max_mean_ms: 1000 });
    expect(ok.status).toBe('pass');
    expect(ok.evidence?.[0].columns).toEqual(['mean ms', 'calls', 'max ms', 'query']);
    const bad = await h2.run('pg.slow-queries', { max_mean_ms: 100 });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toMatch(/mean time > 100 ms/);
    expect(JSON.stringify(bad.evidence)).toMatch(/pg_sleep/);
    await h2.close();
    await d2.close();
  });
});

describe('pg.cache-hit', () => {
  it('judges the ratio against the seed thresholds: warn below 0.99, fail below 0.95', async () => {
    const { cacheVerdict } = await import('../../src/checks/pg-cache-hit.js');
    const p = { warn_below: 0.99, fail_below: 0.95, min_reads: 100 };
    expect(cacheVerdict(0.995, 1000, p)).toBe('pass');
    expect(cacheVerdict(0.97, 1000, p)).toBe('warn');
    expect(cacheVerdict(0.9, 1000, p)).toBe('fail');
    expect(cacheVerdict(0.5, 10, p)).toBe('advisory');
    expect(cacheVerdict(null, 0, p)).toBe('advisory');
  });
  it('does not divide by zero on a fresh database', async () => {
    const d3 = await createTestDatabase('fresh');
    const h3 = harness(d3.url);
    const r = await h3.run('pg.cache-hit');
    expect(r.status).toBe('pass');
    expect(r.metrics.cache_ratio).toBeNull();
    expect(r.summary).toMatch(/not enough reads yet/);
    await h3.close();
    await d3.close();
  });
  it('reports the ratio once there are reads and judges it against the thresholds', async () => {
    for (let i = 0; i < 30; i++) await db.query('SELECT count(*) FROM users');
    const r = await h.run('pg.cache-hit', { min_reads: 1 });
    expect(typeof r.metrics.cache_ratio).toBe('number');
    const ratio = r.metrics.cache_ratio as number;
    expect(r.status).toBe(ratio < 0.95 ? 'fail' : ratio < 0.99 ? 'warn' : 'pass');
    // a threshold above the measured ratio must fail
    if (ratio < 1)
      expect((await h.run('pg.cache-hit', { min_reads: 1, warn_below: 1, fail_below: 1 })).status).toBe('fail');
  });
});

describe('pg.index-usage, pg.duplicates, pg.size', () => {
  it('flags tables without indexes', async () => {
    const r = await h.run('pg.index-usage');
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/tables without indexes: loose/);
  });
  it('passes for indexed tables', async () => {
    const r = await h.run('pg.index-usage', { tables: ['users'] });
    expect(r.status).toBe('pass');
    expect(r.evidence?.[0].rows.map((x) => x[1])).toEqual(expect.arrayContaining(['users_pkey', 'users_email_key']));
  });
  it('finds duplicate keys', async () => {
    const r = await h.run('pg.duplicates', { table: 'loose', columns: ['id'] });
    expect(r.status).toBe('fail');
    expect(r.evidence?.[0].rows).toEqual([
      ['3', 3],
      ['2', 2],
    ]);
    expect((await h.run('pg.duplicates', { table: 'users', columns: ['id'] })).status).toBe('pass');
  });
  it('reports sizes and judges disk usage', async () => {
    const ok = await h.run('pg.size', { max_disk_pct: 100 });
    expect(ok.status).toBe('pass');
    expect(ok.metrics.database_bytes).toBeGreaterThan(0);
    expect(typeof ok.metrics.disk_used_pct).toBe('number');
    const bad = await h.run('pg.size', { max_disk_pct: 0 });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toMatch(/disk .*% used > 0%/);
  });
});
