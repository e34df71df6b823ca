import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, utimesSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { harness } from '../helpers/checks.js';
import { tempDir } from '../helpers/tmp.js';
import { applyBaseline } from '../../src/checks/run.js';
import type { CheckResult } from '../../src/checks/types.js';
import type { CheckDef } from '../../src/runbook/schema.js';

let srv: http.Server;
let base: string;
let dir: string;
let delay = 0;
/** /slow answers its first `slowFor` requests 300 ms late, then at once */
let slowFor = 0;
const h = () => harness('postgres://unused@127.0.0.1:1/x', {}, dir);

beforeAll(async () => {
  dir = tempDir();
  srv = http.createServer((req, res) => {
    const late = req.url === '/slow' && slowFor-- > 0 ? 300 : 0;
    setTimeout(() => {
      if (req.url === '/slow') res.end('{}');
      else if (req.url === '/api/health') res.end(JSON.stringify({ status: 'ok', db: { connected: true } }));
      else if (req.url === '/api/down') {
        res.statusCode = 503;
        res.end('{"status":"down"}');
      } else {
        res.statusCode = 404;
        res.end('nope');
      }
    }, delay + late);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
});
afterAll(() => srv.close());

describe('http', () => {
  it('passes on status and JSON body', async () => {
    const r = await h().run('http', { url: `${base}/api/health`, json: { status: 'ok', 'db.connected': true } });
    expect(r.status).toBe('pass');
    expect(r.metrics).toMatchObject({ http_status: 200, status: 'ok' });
  });
  it('fails on a wrong status or body', async () => {
    const r = await h().run('http', { url: `${base}/api/down`, json: { status: 'ok' } });
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/status 503, expected 200; status = "down", expected "ok"/);
  });
  it('fails clearly when nothing listens', async () => {
    const { freePort } = await import('../../src/pg/embedded.js');
    const r = await h().run('http', { url: `http://127.0.0.1:${await freePort()}/api/health` });
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/connection refused/);
  });
  it('times out instead of hanging', async () => {
    delay = 3000;
    const t0 = Date.now();
    const r = await h().run('http', { url: `${base}/api/health` }, { timeout: '500ms' });
    delay = 0;
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(r.status).toBe('fail');
  });
  it('measures p95 over samples', async () => {
    const r = await h().run('http', { url: `${base}/api/health`, samples: 10 });
    expect(r.metrics.samples).toBe(10);
    expect(r.metrics.p95_ms as number).toBeGreaterThanOrEqual(r.metrics.latency_ms as number);
  });
});

describe('baseline compare', () => {
  const result = (metrics: Record<string, number>): CheckResult => ({
    id: 'x',
    type: 'http',
    status: 'pass',
    summary: 'ok',
    metrics,
    thresholds: {},
    startedAt: '',
    durationMs: 1,
  });
  const def = (b: CheckDef['baseline']): CheckDef => ({ type: 'http', params: {}, baseline: b });
  it('passes within max_increase_pct and fails above it', () => {
    const spec = { compare: 'before', metric: 'p95_ms', max_increase_pct: 10 };
    const good = applyBaseline(def(spec), result({ p95_ms: 105 }), { before: { p95_ms: 100 } });
    expect(good.status).toBe('pass');
    expect(good.thresholds.baseline).toBe('before, now <= baseline + 10%');
    expect(good.summary).toBe('ok — within baseline (now <= baseline + 10%)');
    const bad = applyBaseline(def(spec), result({ p95_ms: 130 }), { before: { p95_ms: 100 } });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toMatch(/p95_ms 130 vs 100 \(\+30.0% > \+10%\)/);
  });
  it('matches json_ and pg_ metrics of the same entity for equal', () => {
    const spec = { compare: 'json-before', equal: true };
    expect(
      applyBaseline(def(spec), result({ pg_users: 5, pg_tasks: 9 }), {
        'json-before': { json_users: 5, json_tasks: 9 },
      }).status,
    ).toBe('pass');
    expect(
      applyBaseline(def(spec), result({ pg_users: 4, pg_tasks: 9 }), {
        'json-before': { json_users: 5, json_tasks: 9 },
      }).status,
    ).toBe('fail');
  });
  it('confirm: N measures a failed comparison again; it fails only when each measurement does, and says so', async () => {
    const c = h();
    const params = { url: `${base}/slow`, samples: 5, warmup: 0 };
    // the baseline: answers at once (a p95 of a few ms); 300 ms late is over it by far more than the 200 ms floor
    const before = await c.run('http', params);
    expect(before.status).toBe('pass');
    c.baselines.before = before.metrics;
    const spec = { compare: 'before', metric: 'p95_ms', max_increase_pct: 0, max_increase_abs: 200 };
    // a moment of slowness (the first measurement's 5 requests): without confirm, the gate fails
    slowFor = 5;
    const once = await c.run('http', params, { baseline: spec });
    expect(once.status).toBe('fail');
    expect(once.summary).toMatch(/^against baseline: p95_ms \d+/);
    slowFor = 5;
    const again = await c.run('http', params, { baseline: { ...spec, confirm: 2 } });
    expect(again.status, again.summary).toBe('pass');
    expect(again.metrics.measurements).toBe(2);
    expect(again.summary).toMatch(
      /within baseline .* \(measured again: one earlier measurement was over the limit and did not reproduce: p95_ms \d+(\.\d+)? vs /,
    );
    // slow every time: it fails, after each of its measurements
    slowFor = 15;
    const slow = await c.run('http', params, { baseline: { ...spec, confirm: 2 } });
    expect(slow.status).toBe('fail');
    expect(slow.summary).toMatch(/^against baseline: p95_ms \d+.* \(measured 3 times, over the limit each time\)$/);
    expect(slowFor).toBe(0);
    await c.close();
  });
  it('fails when no baseline was recorded', () => {
    const r = applyBaseline(def({ compare: 'never' }), result({ a: 1 }), {});
    expect(r.status).toBe('fail');
    expect(r.hint).toMatch(/run check never first/);
  });
});

describe('env, file, command', () => {
  it('env: a key in an env file', async () => {
    writeFileSync(join(dir, '.env'), 'USE_POSTGRES=false\nDB_PASSWORD=s3cret-pass\n');
    expect((await h().run('env', { file: '.env', key: 'USE_POSTGRES', equals: 'false' })).status).toBe('pass');
    const bad = await h().run('env', { file: '.env', key: 'USE_POSTGRES', equals: true });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toBe('USE_POSTGRES=false (expected true)');
    const secret = await h().run('env', { file: '.env', key: 'DB_PASSWORD' });
    expect(JSON.stringify(secret)).not.toContain('s3cret-pass');
  });
  it('file: newest match of a pattern, fresh and non-empty', async () => {
    mkdirSync(join(dir, 'backups'), { recursive: true });
    writeFileSync(join(dir, 'backups', 'users.json.20250101-000000'), '[]');
    const old = new Date(Date.now() - 3 * 86_400_000);
    utimesSync(join(dir, 'backups', 'users.json.20250101-000000'), old, old);
    const stale = await h().run('file', { path: 'backups/users.json.*', max_age: '24h' });
    expect(stale.status).toBe('fail');
    expect(stale.summary).toMatch(/min old > 24h/);
    writeFileSync(join(dir, 'backups', 'users.json.20251017-101010'), '{"users":[]}');
    const fresh = await h().run('file', { path: 'backups/users.json.*', max_age: '24h' });
    expect(fresh.status).toBe('pass');
    expect(fresh.summary).toMatch(/users\.json\.20251017-101010/);
    writeFileSync(join(dir, 'backups', 'empty.sql'), '');
    expect((await h().run('file', { path: 'backups/empty.sql' })).status).toBe('fail');
    expect((await h().run('file', { path: 'backups/none.*' })).status).toBe('fail');
  });
  it('command: exit code and output pattern', async () => {
    expect((await h().run('command', { run: ['sh', '-c', 'echo ready'], expect_output: 'ready' })).status).toBe('pass');
    const bad = await h().run('command', { run: ['sh', '-c', 'exit 4'] });
    expect(bad.status).toBe('fail');
    expect(bad.summary).toBe('exited 4, expected 0');
  });
});

describe('check types loaded one by one', () => {
  it('name the same types as the registry, each its own', async () => {
    const { checkLoaders } = await import('../../src/checks/check-loaders.js');
    const { checkTypes } = await import('../../src/checks/registry.js');
    expect(Object.keys(checkLoaders).sort()).toEqual(Object.keys(checkTypes).sort());
    for (const [type, load] of Object.entries(checkLoaders)) expect((await load()).type).toBe(type);
  });
});
