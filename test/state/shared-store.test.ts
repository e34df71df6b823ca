// A run kept in PostgreSQL (src/state/pg-store.ts) and handed over between two "machines":
// two processes with their own HOME, state folder and host name, on one state database.
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { Session, fingerprintOf } from '../../src/phases/session.js';
import { HeldRun, readRun } from '../../src/state/pg-store.js';
import { runPaths } from '../../src/state/paths.js';
import { approvalsInForce } from '../../src/state/run-state.js';
import { cli, cliAsync } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { atMostAtOnce } from '../helpers/concurrent.js';

const SECRET = 'handover-secret-value-42';
const RB = `id: handover
title: Hand-over
version: 1
vars:
  SLOW: { default: 30, env: SLOW_SECONDS }
  TOKEN: { default: ${SECRET}, env: HANDOVER_TOKEN, secret: true }
phases:
  - id: p1
    title: First
    steps:
      - { id: slow, kind: command, title: Slow step, run: [sh, -c, 'echo start; sleep \${SLOW}; echo finished'] }
      - { id: tok, kind: command, title: Uses the token, run: [sh, -c, 'echo token $T'], env: { T: '\${TOKEN}' } }
      - { id: so, kind: signoff, title: Sign one }
  - id: p2
    title: Second
    steps:
      - { id: m, kind: manual, title: Do it }
      - { id: so, kind: signoff, title: Sign two }
`;

const leftGroups: number[] = [];
afterAll(() => {
  for (const g of leftGroups)
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* ended */
    }
});

function runbookFile(text = RB): string {
  const file = join(tempDir(), 'handover.yaml');
  writeFileSync(file, text);
  return file;
}

/** One machine: its own home, state folder and host name; the shared database through the environment. */
function machine(host: string, operator: string, url: string) {
  const home = tempDir();
  return {
    HOME: home,
    WAYMARK_STATE_DIR: join(home, 'state'),
    WAYMARK_HOST: host,
    WAYMARK_OPERATOR: operator,
    WAYMARK_STATE_URL: url,
  };
}

describe('a run in a state database, handed over between machines', () => {
  it('alice is killed mid-step; bob is refused while she lives, takes over after, confirms the step stopped, finishes', async () => {
    const db = await createTestDatabase('wmshared');
    const file = runbookFile();
    const alice = machine('host-a', 'alice', db.url);
    const bob = machine('host-b', 'bob', db.url);
    const walk = ['--runbook', file, '--non-interactive', '--yes', '--new-run'];

    const a = cliAsync(walk, alice);
    await a.waitFor(/▶ p1\/slow/);
    await a.waitFor(/\| start/);
    const refused = cli(walk, bob);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /this run is open in another session: alice on host-a \(pid \d+\) since \S+, last seen \d+ s ago/,
    );
    expect(cli(['runs'], bob).stdout).toMatch(/open by alice on host-a \(pid \d+\) since \S+, last seen \d+ s ago/);

    a.child.kill('SIGKILL');
    await a.done;
    const st = await db.query(`SELECT state FROM waymark.runs`);
    const group = (JSON.parse(st.rows[0].state as string) as { steps: Record<string, { process?: { pid: number } }> })
      .steps['p1/slow'].process!.pid;
    leftGroups.push(group);

    // bob's start takes over, and does not re-run a step that may still run on host-a
    const first = cli(walk, bob);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      /took over a stale lock from alice on host-a \(pid \d+, since \S+\); its connection to the state database is gone/,
    );
    expect(first.stdout).toContain(
      `p1/slow: may still be running on host-a (pid ${group}, process group ${group}), where a Waymark stopped`,
    );
    expect(first.stdout).not.toMatch(/▶ p1\/slow/);

    // bob says how he knows it stopped, and walks on; alice's restart is refused while he holds the run
    const b = cliAsync([...walk, '--confirm-stopped', 'checked on host-a: its sleep was killed'], {
      ...bob,
      SLOW_SECONDS: '3',
    });
    await b.waitFor(/▶ p1\/slow/);
    const back = cli(walk, alice);
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/this run is open in another session: bob on host-b/);
    const done = await b.done;
    expect(done.stdout).toMatch(/recorded that it is no longer running on host-a/);
    expect(done.stdout).toMatch(/First: signed off by bob/);
    expect(done.stdout).toMatch(/Second: signed off by bob/);
    expect(done.code).toBe(0);

    const verify = cli(['audit', '--runbook', file, '--verify'], alice);
    expect(verify.code).toBe(3); // whole; 3: no trust file to say who signed
    expect(verify.stdout).toMatch(/^audit log intact: \d+ entries, hash chain verified, and it holds every event/);
    const log = cli(['audit', '--runbook', file, '--json'], alice);
    const events = log.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; host: string; data?: unknown });
    expect(events.find((e) => e.event === 'session.opened' && e.host === 'host-b')?.data).toMatchObject({
      tookOverFrom: { operator: 'alice', host: 'host-a' },
    });
    expect(events.find((e) => e.event === 'step.confirm-stopped')).toMatchObject({
      host: 'host-b',
      data: { reason: 'checked on host-a: its sleep was killed' },
    });
    // the report shows the attempt cut short on host-a, and who said it had stopped there
    const md = join(tempDir(), 'report.md');
    expect(cli(['report', '--runbook', file, '--phase', 'p1', '--format', 'md', '--out', md], bob).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(
      /interrupted .*Waymark on host-a stopped while this step ran there .*confirmed stopped by bob at \S+: checked on host-a: its sleep was killed/,
    );
    // the secret reached the command, never the database
    const all = await db.query(
      `SELECT (SELECT string_agg(line, '') FROM waymark.events) || (SELECT string_agg(state, '') FROM waymark.runs)`,
    );
    expect(String(all.rows[0]['?column?'])).not.toContain(SECRET);
    // the log is append-only in the database too
    await expect(db.query(`DELETE FROM waymark.events`)).rejects.toThrow(/append-only/);
    await db.close();
  }, 120_000);

  it('200 concurrent approve attempts by two operators on two machines leave exactly one approval each', async () => {
    const db = await createTestDatabase('wmshared');
    // the second phase needs three signatures: alice's sign-off, and one approval each from bob and carol
    const file = runbookFile(RB.replace('    title: Second\n', '    title: Second\n    approvals: 3\n'));
    const alice = machine('host-a', 'alice', db.url);
    const r = cli(['--runbook', file, '--non-interactive', '--yes', '--new-run'], { ...alice, SLOW_SECONDS: '0' });
    expect(r.stdout).toMatch(/awaiting 2 more approvals/);
    const envs = { bob: machine('host-b', 'bob', db.url), carol: machine('host-c', 'carol', db.url) };
    const results = await atMostAtOnce(
      200,
      24,
      (i) => cliAsync(['approve', '--runbook', file, '--phase', 'p2'], i % 2 ? envs.bob : envs.carol).done,
    );
    expect(results.filter((x) => x.code === 0)).toHaveLength(2);
    for (const x of results.filter((y) => y.code !== 0))
      expect(x.stdout + x.stderr).toMatch(/not approved: (bob|carol) already approved/);
    const s = new Session(loadRunbook(file, { env: {} }), {
      stateDir: tempDir(),
      operator: 'x',
      readOnly: true,
      stateUrl: db.url,
      newRun: true,
    });
    expect(
      approvalsInForce(s.state.phases.p2)
        .map((x) => x.by)
        .sort(),
    ).toEqual(['bob', 'carol']);
    await s.close();
    const rows = await db.query(`SELECT count(*)::int AS n FROM waymark.approvals`);
    expect(rows.rows[0].n).toBe(2);
    expect(cli(['audit', '--runbook', file, '--verify'], alice).stdout).toMatch(/approval of p2 by bob .*valid/);
    await db.close();
  }, 300_000);
});

describe('four eyes across machines', () => {
  it("bob approves from his machine while alice's session holds the run: her session takes it in", async () => {
    const db = await createTestDatabase('wmshared');
    const file = runbookFile(RB.replace('    title: Second\n', '    title: Second\n    approvals: 2\n'));
    const aliceEnv = machine('host-a', 'alice', db.url);
    expect(
      cli(['--runbook', file, '--non-interactive', '--yes', '--phase', 'p1', '--new-run'], {
        ...aliceEnv,
        SLOW_SECONDS: '0',
      }).code,
    ).toBe(0);
    const alice = new Session(loadRunbook(file, { env: {} }), {
      stateDir: aliceEnv.WAYMARK_STATE_DIR,
      operator: 'alice',
      noProbes: true,
      stateUrl: db.url,
      newRun: true,
    });
    expect(alice.dispatch({ type: 'step.confirm', scope: 'p2', stepId: 'm' }).ok).toBe(true);
    expect((await alice.runStep({ type: 'step.start', scope: 'p2', stepId: 'so' })).ok).toBe(true);
    await alice.idle(); // the sign-off is signed
    const bob = await cliAsync(['approve', '--runbook', file, '--phase', 'p2'], machine('host-b', 'bob', db.url)).done;
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(/^approved "Second" as bob \(key SHA256:\S+\): 2 of 2 signatures/);
    expect(approvalsInForce(alice.state.phases.p2).map((x) => x.by)).toEqual(['bob']);
    await alice.close();
    const verify = cli(['audit', '--runbook', file, '--verify'], aliceEnv);
    expect(verify.stdout).toMatch(/approval of p2 by bob \(SHA256:\S+\): signature valid/);
    await db.close();
  }, 60_000);
});

/** alice's session on a fresh state database, nothing done yet */
async function aliceOnFreshDatabase() {
  const db = await createTestDatabase('wmshared');
  const lr = loadRunbook(runbookFile(), { env: {} });
  const s = new Session(lr, { stateDir: tempDir(), operator: 'alice', noProbes: true, stateUrl: db.url, newRun: true });
  return { db, lr, s };
}

describe('the state database: one writer, its history moved whole, a clear word when it is down', () => {
  it('two writers can never both win: a second hold is refused, and a version moved under a session stops it', async () => {
    const { db, s } = await aliceOnFreshDatabase();
    expect(() => HeldRun.open(db.url, s.paths.name, { operator: 'eve', host: 'h', pid: 1 })).toThrow(
      /open in another session: alice/,
    );
    expect(s.dispatch({ type: 'step.skip', scope: 'p1', stepId: 'slow', reason: 'not needed for this test' }).ok).toBe(
      true,
    );
    // someone writes the row behind the session's back: its next write is refused, nothing more is written
    await db.query(`UPDATE waymark.runs SET version = version + 1`);
    const before = (await db.query(`SELECT count(*)::int AS n FROM waymark.events`)).rows[0].n as number;
    s.dispatch({ type: 'step.skip', scope: 'p1', stepId: 'tok', reason: 'not needed for this test' });
    expect(s.failure?.message).toMatch(/was changed by another writer; nothing more is written here/);
    expect((await db.query(`SELECT count(*)::int AS n FROM waymark.events`)).rows[0].n).toBe(before);
    await s.close();
    await db.close();
  }, 60_000);

  /** alice's session on a fresh state database, one step skipped (written) */
  async function aliceWithOneStepDone() {
    const { db, lr, s } = await aliceOnFreshDatabase();
    s.dispatch({ type: 'step.skip', scope: 'p1', stepId: 'slow', reason: 'not needed for this test' });
    return { db, lr, s };
  }
  const LOST = /^the connection to the state database 127\.0\.0\.1:\d+\/wmshared_\w+ was lost, .*nothing was lost/;

  it('the database ends the session while its write waits: the same sentence (the server says why, 57P01)', async () => {
    // the other way a dropped session shows: the write is sent before the connection is seen to
    // be gone, and the server's answer to it is that it terminates the connection. Made certain
    // here by a process that holds the table the write needs, then ends the session's backend.
    const { db, s } = await aliceWithOneStepDone();
    const pgModule = new URL('../../node_modules/pg/lib/index.js', import.meta.url).href;
    const script =
      `const { default: pg } = await import(${JSON.stringify(pgModule)});` +
      `const c = new pg.Client({ connectionString: process.env.WM_URL }); await c.connect();` +
      `await c.query('BEGIN'); await c.query('LOCK TABLE waymark.runs IN ACCESS EXCLUSIVE MODE');` +
      `console.log('locked'); await new Promise((r) => setTimeout(r, 1500));` +
      `await c.query('SELECT pg_terminate_backend(backend_pid) FROM waymark.sessions');` +
      `await c.query('COMMIT'); await c.end();`;
    const { spawn } = await import('node:child_process');
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, WM_URL: db.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    s.dispatch({ type: 'step.skip', scope: 'p1', stepId: 'tok', reason: 'not needed for this test' });
    await new Promise((r) => holder.once('exit', r));
    expect(s.failure?.message).toMatch(LOST);
    await s.close();
    await db.close();
  }, 60_000);

  it('the database drops the session: its next write stops with a sentence, and the run is whole for the next', async () => {
    const { db, lr, s } = await aliceWithOneStepDone();
    await db.query(`SELECT pg_terminate_backend(backend_pid) FROM waymark.sessions`);
    s.dispatch({ type: 'step.skip', scope: 'p1', stepId: 'tok', reason: 'not needed for this test' });
    expect(s.failure?.message).toMatch(LOST);
    expect(s.failure?.message).not.toMatch(/\n\s+at /);
    await s.close();
    // the lock went with the connection: bob opens the run as it was before the refused write
    const bob = new Session(lr, {
      stateDir: tempDir(),
      operator: 'bob',
      noProbes: true,
      stateUrl: db.url,
      newRun: true,
    });
    expect(bob.state.steps['p1/slow'].status).toBe('skipped');
    expect(bob.state.steps['p1/tok']).toBeUndefined();
    await bob.close();
    await db.close();
  }, 60_000);

  it('a reader sees the state and the log as of one commit while a writer goes on', async () => {
    const db = await createTestDatabase('wmshared');
    const steps = Array.from({ length: 60 }, (_, i) => `      - { id: m${i}, kind: manual, title: Step ${i} }`);
    const file = runbookFile(
      `id: busy\ntitle: Busy\nversion: 1\nphases:\n  - id: p\n    title: P\n    steps:\n${steps.join('\n')}\n`,
    );
    const writer = cliAsync(
      ['--runbook', file, '--non-interactive', '--yes', '--new-run'],
      machine('host-a', 'alice', db.url),
    );
    const lr = loadRunbook(file, { env: {} });
    const name = runPaths('/x', lr.runbook.id, fingerprintOf(lr)).name;
    let reads = 0;
    let written = false;
    void writer.done.then(() => (written = true));
    while (!written) {
      await new Promise((r) => setImmediate(r)); // readRun waits on its worker: let the writer's end be heard
      const { checkout } = readRun(db.url, name);
      if (checkout.state === undefined) continue;
      reads++;
      const head = (JSON.parse(checkout.state) as { audit: { seq: number } }).audit.seq;
      expect(checkout.lines.length).toBe(head);
    }
    expect((await writer.done).code).toBe(0);
    expect(reads).toBeGreaterThan(5);
    await db.close();
  }, 60_000);

  it("the runbook's state.url (a secret var from the environment) puts the run in the database", async () => {
    const db = await createTestDatabase('wmshared');
    const withUrl = RB.replace('vars:\n', 'vars:\n  STATE_URL: { env: HANDOVER_STATE_URL, secret: true }\n').replace(
      'phases:\n',
      "state: { url: '${STATE_URL}' }\nphases:\n",
    );
    const file = runbookFile(withUrl);
    const env = { ...machine('host-a', 'alice', ''), HANDOVER_STATE_URL: db.url, SLOW_SECONDS: '0' };
    expect(cli(['--runbook', file, '--non-interactive', '--yes', '--new-run'], env).code).toBe(0);
    const status = cli(['status', '--runbook', file], env);
    expect(status.stdout).toMatch(/^kept in the state database 127\.0\.0\.1:\d+\/wmshared_\w+$/m);
    expect(status.stdout).toMatch(/all phases signed off/);
    expect(existsSync(join(env.WAYMARK_STATE_DIR, 'runs'))).toBe(false);
    const password = new URL(db.url).password;
    const all = await db.query(`SELECT string_agg(line, '') AS t FROM waymark.events`);
    if (password) expect(String(all.rows[0].t)).not.toContain(password);
    await db.close();
  }, 60_000);

  it('state export and import move a run with its whole log: the chain and the signatures still verify', async () => {
    const db = await createTestDatabase('wmshared');
    const file = runbookFile();
    const m = machine('host-a', 'alice', db.url);
    cli(['--runbook', file, '--non-interactive', '--yes', '--new-run'], { ...m, SLOW_SECONDS: '0' });
    const before = cli(['audit', '--runbook', file, '--verify'], m).stdout;
    expect(before).toMatch(/sign-off of p1 signed by alice .*verified against this log/);
    const out = cli(['state', 'export', '--runbook', file], m);
    expect(out.stdout).toMatch(/^moved run \w{8} \(\d+ events\) from 127\.0\.0\.1:\d+\/wmshared_\w+ to /);
    const folder = { ...m, WAYMARK_STATE_URL: '' };
    expect(cli(['runs'], m).stdout).toMatch(/^no runs in /);
    const local = cli(['audit', '--runbook', file, '--verify'], folder);
    expect(local.code).toBe(3); // whole; 3: no trust file to say who signed
    expect(local.stdout).toMatch(/sign-off of p1 signed by alice .*verified against this log/);
    expect(cli(['state', 'import', '--runbook', file], m).stdout).toMatch(/^moved run \w{8} .* the folder's copy/);
    const again = cli(['audit', '--runbook', file, '--verify'], m);
    expect(again.code).toBe(3); // whole, but no trust file to say who signed
    const count = (t: string) => /^audit log intact: (\d+) entries/.exec(t)?.[1];
    expect(count(again.stdout)).toBe(count(before));
    expect(again.stdout).toMatch(/sign-off of p1 signed by alice .*verified against this log/);
    // the database is the run's own witness: its events cannot change, and the folder's old copy agrees with it
    expect(again.stdout).toMatch(/the database refuses to change or delete these events/);
    expect(again.stdout).toMatch(/local copy \S+archive\S+ agrees with the database/);
    const archive = join(m.WAYMARK_STATE_DIR, 'runs', 'archive');
    const copy = join(
      archive,
      readdirSync(archive).find((f) => f.includes('.audit.jsonl'))!,
    );
    const original = readFileSync(copy, 'utf8');
    writeFileSync(copy, original.replace('"session.opened"', '"session.openeD"'));
    const forked = cli(['audit', '--runbook', file, '--verify'], m);
    expect(forked.code).toBe(1);
    expect(forked.stdout).toMatch(/local copy \S+ FORKS from the database at line 2/);
    writeFileSync(copy, original);
    await db.query('ALTER TABLE waymark.events DISABLE TRIGGER events_append_only');
    const open = cli(['audit', '--runbook', file, '--verify'], m);
    expect(open.code).toBe(1);
    expect(open.stdout).toMatch(/the append-only trigger on waymark.events is MISSING or disabled/);
    await db.query('ALTER TABLE waymark.events ENABLE TRIGGER events_append_only');
    // a second import finds the run there: nothing moves
    cli(['state', 'export', '--runbook', file], m);
    cli(['--runbook', file, '--non-interactive', '--yes', '--new-run'], { ...m, SLOW_SECONDS: '0' }); // a new run in the database
    const twice = cli(['state', 'import', '--runbook', file], m);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already has a run of this runbook and target: nothing was moved/);
    await db.close();
  }, 120_000);

  it('a state database that is down, or a password on the command line: one sentence, no trace', () => {
    const file = runbookFile();
    const down = cli(['status', '--runbook', file], { ...machine('h', 'alice', 'postgres://waymark@127.0.0.1:1/x') });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^waymark: the state database 127\.0\.0\.1:1\/x: connection refused/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
    const pw = cli(['status', '--runbook', file, '--state-url', 'postgres://u:hunter2@127.0.0.1:1/x'], {});
    expect(pw.code).toBe(2);
    expect(pw.stderr).toMatch(/--state-url holds a password.*set WAYMARK_STATE_URL instead/);
  });
});
