// waymark serve follows a run another process walks (plain mode), live over server-sent events,
// from its first step to its sign-off; it writes nothing to the state folder, never holds the
// lock, serves /metrics Prometheus parses, and past loopback it needs its token.
import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { cli, cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const RUNBOOK = join(process.cwd(), 'test/fixtures/watch.yaml');
const stop: Array<() => void> = [];
afterEach(() => stop.splice(0).forEach((f) => f()));

/** Every file under a folder and its bytes' digest: what a reader must leave as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = join(dir, f);
    if (statSync(p).isFile()) out[f] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

/** The models a /events stream sends, and a wait for one that satisfies a condition. */
function events(url: string) {
  const models: Array<Record<string, any>> = [];
  let comments = 0;
  const req = http.get(url, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (msg.startsWith('data: ')) models.push(JSON.parse(msg.slice(6)));
        else if (msg.startsWith(':')) comments++;
      }
    });
  });
  stop.push(() => req.destroy());
  const until = async (what: string, ok: () => boolean) => {
    for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 20)))
      if (Date.now() - t0 > 60_000) throw new Error(`never saw ${what}; last model: ${JSON.stringify(models.at(-1))}`);
  };
  return {
    models,
    waitFor: (what: string, pred: (m: Record<string, any>) => boolean) => until(what, () => models.some(pred)),
    beats: (n: number) => {
      const from = comments;
      return until(`${n} heartbeats`, () => comments >= from + n);
    },
  };
}

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) =>
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject),
  );
}

/** A folder for the watched runbook, and an app its probe asks (answering, until the test ends). */
async function watchedApp() {
  const dir = tempDir();
  const app = http.createServer((_q, r) => r.end('{"status":"ok"}'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  stop.push(() => app.close());
  const env = {
    WAYMARK_STATE_DIR: join(dir, 'state'),
    WAYMARK_OPERATOR: 'alice',
    GATE_DIR: dir,
    PROBE_URL: `http://127.0.0.1:${(app.address() as { port: number }).port}/health`,
  };
  return { dir, env };
}

describe('waymark serve', () => {
  it('follows a run walked by another process from its first step to its sign-off, writes nothing, holds no lock', async () => {
    const { dir, env } = await watchedApp();
    const run = cliAsync(['run', '--runbook', RUNBOOK, '--non-interactive', '--yes'], env);
    stop.push(() => run.child.kill());
    await run.waitFor(/waiting for go1/);
    const serve = cliAsync(['serve', '--runbook', RUNBOOK, '--port', '0'], { ...env, WAYMARK_OPERATOR: 'bob' });
    stop.push(() => serve.child.kill());
    await serve.waitFor(/read-only, at (http:\/\/\S+)/);
    const base = /at (http:\/\/\S+?)\/?\s/.exec(serve.stdout)![1];
    const live = events(`${base}/events`);
    await live.waitFor('the first step running', (m) => m.running?.step === 'first');
    expect(live.models.at(-1)!.holder).toMatch(/^alice on /);
    writeFileSync(join(dir, 'go1'), 'go\n');
    await live.waitFor('the first step passed', (m) => m.phases[0].steps[0].status === 'passed');
    await live.waitFor('the gate passed', (m) => m.phases[0].gate[0].status === 'passed');
    await live.waitFor('the sign-off', (m) => m.phases[0].status === 'signed-off');
    expect((await run.done).code).toBe(0);
    // the run's process is gone: nobody holds it now, and the page says so
    await live.waitFor('no holder', (m) => m.holder === undefined);

    const page = await get(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<title>Watched — Waymark watch<\/title>/);
    expect(page.body).not.toMatch(/<button|<form|method="post"/i);
    const metrics = await get(`${base}/metrics`);
    const families = parsePrometheusTextFormat(metrics.body) as Array<{ name: string; metrics: any[] }>;
    const family = (n: string) => families.find((f) => f.name === n)!.metrics;
    expect(family('waymark_phase_state')).toContainEqual({
      labels: {
        phase: 'one',
        state: 'signed-off',
        runbook: 'watch',
        run_id: live.models.at(-1)!.run.id,
        environment: '',
      },
      value: '1',
    });
    expect(family('waymark_gate_passed')).toContainEqual(expect.objectContaining({ value: '1' }));
    const answered = family('waymark_probe_answers_total').find((m) => m.labels.result === 'ok');
    expect(Number(answered.value)).toBeGreaterThan(0);
    expect(family('waymark_probe_up')).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ probe: 'app' }) }),
    ]);

    // a reader writes nothing: the state folder is byte for byte what it was, after every route was read
    const before = snapshot(env.WAYMARK_STATE_DIR);
    for (const path of ['/', '/model.json', '/audit', '/metrics']) expect((await get(base + path)).status).toBe(200);
    await live.beats(2);
    expect(snapshot(env.WAYMARK_STATE_DIR)).toEqual(before);
    // nor holds the lock: an operator's session starts while it serves
    const again = cli(['run', '--runbook', RUNBOOK, '--non-interactive', '--yes'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/One: already signed off/);
    expect((await get(`${base}/model.json`, {})).status).toBe(200);
    expect(
      await new Promise((r) =>
        http.request(`${base}/model.json`, { method: 'POST' }, (res) => r(res.statusCode)).end(),
      ),
    ).toBe(405);
  }, 120_000);

  it('past loopback it needs a token: --token makes one and puts it in the URL; a request without it is refused', async () => {
    const dir = tempDir();
    const env = { WAYMARK_STATE_DIR: join(dir, 'state'), WAYMARK_OPERATOR: 'alice', GATE_DIR: dir };
    writeFileSync(join(dir, 'go1'), 'go\n');
    expect(cli(['run', '--runbook', RUNBOOK, '--non-interactive', '--yes'], env).code).toBe(0);
    const open = cli(['serve', '--runbook', RUNBOOK, '--host', '0.0.0.0'], env);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/--host 0\.0\.0\.0: anyone who reaches that address would see the run; add --token/);
    const serve = cliAsync(['serve', '--runbook', RUNBOOK, '--host', '0.0.0.0', '--port', '0', '--token'], env);
    stop.push(() => serve.child.kill());
    await serve.waitFor(/read-only, at (http:\/\/\S+)/);
    const url = new URL(/at (http:\/\/\S+)/.exec(serve.stdout)![1]);
    const token = url.searchParams.get('token')!;
    expect(token).toMatch(/^[\w-]{24}$/);
    const at = `http://127.0.0.1:${url.port}/model.json`;
    const refused = await get(at);
    expect(refused.status).toBe(401);
    expect(refused.body).not.toContain('Watched');
    expect((await get(`${at}?token=wrong`)).status).toBe(401);
    expect((await get(at, { authorization: `Bearer ${token}` })).status).toBe(200);
    // from another address than loopback (this machine's own, when it has one), the same
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
    if (external) {
      const there = `http://${external}:${url.port}/model.json`;
      expect((await get(there)).status).toBe(401);
      expect((await get(there, { authorization: `Bearer ${token}` })).status).toBe(200);
    }
    expect((await get(`${at}?token=${token}`)).status).toBe(200);
    // a route that cannot answer says so in a sentence; the server goes on answering the others
    const runs = join(env.WAYMARK_STATE_DIR, 'runs');
    const audit = join(
      runs,
      readdirSync(runs).find((f) => f.endsWith('.audit.jsonl'))!,
    );
    renameSync(audit, `${audit}.away`);
    const auth = { authorization: `Bearer ${token}` };
    const missing = await get(`http://127.0.0.1:${url.port}/audit`, auth);
    expect([missing.status, missing.body]).toEqual([
      503,
      'cannot answer now: a file of the run is not there (archived?)\n',
    ]);
    renameSync(`${audit}.away`, audit);
    expect((await get(at, auth)).status).toBe(200);
  }, 60_000);

  it('waymark probe --metrics-port: the probes alone, without a run walked, as Prometheus metrics', async () => {
    const { env } = await watchedApp();
    const probe = cliAsync(['probe', '--runbook', RUNBOOK, '--metrics-port', '0'], env);
    stop.push(() => probe.child.kill());
    await probe.waitFor(/metrics at (http:\/\/\S+)/);
    const url = /metrics at (http:\/\/\S+)/.exec(probe.stdout)![1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // the probe's record reaches the audit log every 10 s: its answers show from then
    let ok = 0;
    for (const t0 = Date.now(); ok === 0; await new Promise((r) => setTimeout(r, 200))) {
      if (Date.now() - t0 > 60_000) throw new Error('the probe never showed answers in /metrics');
      const families = parsePrometheusTextFormat((await get(url)).body);
      const m = families.find((f) => f.name === 'waymark_probe_answers_total')?.metrics ?? [];
      ok = Number(m.find((x) => x.labels?.result === 'ok')?.value ?? 0);
    }
    expect(ok).toBeGreaterThan(0);
    probe.child.kill('SIGINT');
    expect((await probe.done).code).toBe(0);
  }, 90_000);
});
