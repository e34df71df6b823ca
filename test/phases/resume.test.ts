import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, readdirSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cli, cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { loadRunbook } from '../../src/load/loader.js';
import { Session } from '../../src/phases/session.js';
import { LockError } from '../../src/state/lock.js';
import { verifyAudit } from '../../src/state/audit.js';

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function smokeEnv() {
  const state = tempDir();
  const work = tempDir();
  return {
    state,
    work,
    env: { WAYMARK_STATE_DIR: state, SMOKE_WORK_DIR: work, SMOKE_STEP_SECONDS: '3', WAYMARK_OPERATOR: 'tester' },
  };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('non-interactive run, crash and resume', () => {
  it('runs the smoke runbook end to end, and the audit log verifies', () => {
    const { state, env } = smokeEnv();
    const r = cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Prepare the work folder: signed off by tester/);
    expect(r.stdout).toMatch(/Finish: signed off by tester/);
    const v = cli(['audit', '--verify', '--runbook', 'examples/smoke.yaml'], env);
    expect(v.code).toBe(3); // whole; 3: no trust file to say who signed
    expect(v.stdout).toMatch(/audit log intact: \d+ entries/);
    // secrets: the token reached the command (its output was redacted) but no file holds it
    expect(r.stdout).toContain('written with ***');
    for (const f of allFiles(state)) expect(readFileSync(f, 'utf8')).not.toContain('smoke-secret-token-123');
  });

  it('manual steps fail without --yes (exit 1) and say what to do', () => {
    const { env } = smokeEnv();
    const r = cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/manual step "Look at the marker" needs the operator's confirmation/);
  });

  it('SIGKILL during a command step: the next start marks it interrupted and resumes at that step', async () => {
    // the step sleeps far longer than the test needs it to run: whatever the machine's load, it still
    // runs when the next start looks; the test ends it itself
    const env = { ...smokeEnv().env, SMOKE_STEP_SECONDS: '600' };
    const run = cliAsync(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env);
    await run.waitFor(/\| starting/);
    run.child.kill('SIGKILL');
    await run.done;
    // the step's own process group outlives a SIGKILLed Waymark: it is not started a second time while it runs
    const st = JSON.parse(cli(['status', '--json', '--runbook', 'examples/smoke.yaml'], env).stdout);
    const prepare = st.phases.find((p: { id: string }) => p.id === 'prepare');
    expect(prepare.steps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'make-dir', status: 'passed' }),
        expect.objectContaining({ id: 'slow-write', status: 'running' }),
      ]),
    );
    const early = cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env);
    expect(early.code).toBe(1);
    expect(early.stdout).toMatch(
      /prepare\/slow-write: "Write the marker slowly" is still running as process group (\d+)/,
    );
    expect(early.stdout).not.toMatch(/▶ prepare\/slow-write/);
    const pgid = Number(/process group (\d+)/.exec(early.stdout)![1]);
    process.kill(-pgid, 'SIGKILL');
    while (groupAlive(pgid)) await new Promise((r) => setTimeout(r, 50));
    const again = cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], {
      ...env,
      SMOKE_STEP_SECONDS: '0',
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/notice: a step was interrupted/);
    expect(again.stdout).not.toMatch(/▶ prepare\/make-dir/);
    expect(again.stdout).toMatch(/▶ prepare\/slow-write/);
    expect(cli(['audit', '--verify', '--runbook', 'examples/smoke.yaml'], env).code).toBe(3); // whole; 3: no trust file to say who signed
  });

  it('SIGKILL during state writes always leaves a readable state file', async () => {
    const dir = tempDir();
    const file = join(dir, 'state.json');
    const script = `
      import { StateStore } from '${join(process.cwd(), 'dist/state/store.js')}';
      const s = new StateStore(${JSON.stringify(file)});
      let i = 0;
      const big = 'x'.repeat(20000);
      for (;;) s.save({ schema: 1, seq: i++, steps: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [k, big])) });
    `;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
      const t0 = Date.now();
      while (!existsSync(file) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 20 + round * 37));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const parsed = JSON.parse(readFileSync(file, 'utf8'));
      expect(parsed.schema).toBe(1);
    }
  });
});

describe('lock', () => {
  it('refuses a second live session with who holds it, and takes over a stale one', async () => {
    const { state, work } = smokeEnv();
    const lr = loadRunbook('examples/smoke.yaml', { env: { SMOKE_WORK_DIR: work } });
    const a = new Session(lr, { stateDir: state, operator: 'alice' });
    let err: unknown;
    try {
      new Session(lr, { stateDir: state, operator: 'bob' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toMatch(/alice on .* \(pid \d+\) since /);
    await a.close();
    // a lock left by a process that no longer exists
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('close', r));
    writeFileSync(
      a.paths.lock,
      JSON.stringify({
        operator: 'carol',
        host: (await import('node:os')).hostname(),
        pid: dead.pid,
        since: '2026-01-01T00:00:00Z',
      }),
    );
    const c = new Session(lr, { stateDir: state, operator: 'dave' });
    expect(c.notices.join('\n')).toMatch(/took over a stale lock from carol/);
    await c.close();
  });

  it('the CLI says who holds the lock and exits 1', async () => {
    const { state, work, env } = smokeEnv();
    const lr = loadRunbook('examples/smoke.yaml', { env: { SMOKE_WORK_DIR: work } });
    const a = new Session(lr, { stateDir: state, operator: 'alice' });
    const r = cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env);
    await a.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/open in another session: alice/);
  });
});

describe('runbook drift', () => {
  it('lists changed phases and refuses to go on until acknowledged', async () => {
    const { state, work } = smokeEnv();
    const dir = tempDir();
    const file = join(dir, 'smoke.yaml');
    copyFileSync('examples/smoke.yaml', file);
    const env = { SMOKE_WORK_DIR: work };
    const s1 = new Session(loadRunbook(file, { env }), { stateDir: state, operator: 'alice' });
    await s1.close();
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('title: Another slow step', 'title: Another slow step, changed'),
    );
    const s2 = new Session(loadRunbook(file, { env }), { stateDir: state, operator: 'alice' });
    expect(s2.state.drift?.changed).toEqual(['phase:finish changed']);
    const refused = s2.dispatch({ type: 'step.start', scope: 'prepare', stepId: 'make-dir' });
    expect(refused.ok).toBe(false);
    expect(s2.dispatch({ type: 'drift.ack' }).ok).toBe(true);
    expect(s2.state.drift?.acknowledgedBy).toBe('alice');
    expect((await s2.runStep({ type: 'step.start', scope: 'prepare', stepId: 'make-dir' })).ok).toBe(true);
    await s2.close();
  });
});

describe('a run whose target moved (the demo keeps one run while its ports change)', () => {
  it('names the new target, says so, and records the move in the audit log, with no secret', async () => {
    const state = tempDir();
    const open = (port: number) =>
      new Session(
        loadRunbook('test/fixtures/locked.yaml', {
          env: { DATABASE_URL: `postgres://app:Moved-S3cret@127.0.0.1:${port}/fluxdb` },
        }),
        { stateDir: state, operator: 'alice', fingerprint: 'fixed' },
      );
    const s1 = open(5001);
    expect(s1.state.target['main.host']).toBe('127.0.0.1:5001');
    await s1.close();
    const s2 = open(5002);
    expect(s2.state.target['main.host']).toBe('127.0.0.1:5002');
    expect(s2.notices.join('\n')).toMatch(
      /the target moved since this run began \(main\.host 127\.0\.0\.1:5001 → 127\.0\.0\.1:5002\)/,
    );
    await s2.close();
    const s3 = open(5002);
    expect(s3.notices.join('\n')).not.toMatch(/target moved/);
    await s3.close();
    const audit = readFileSync(
      allFiles(state).find((f) => f.endsWith('.jsonl'))!,
      'utf8',
    );
    expect(audit.split('\n').filter((l) => l.includes('"run.target-moved"'))).toHaveLength(1);
    expect(
      audit +
        readFileSync(
          allFiles(state).find((f) => f.endsWith('.json'))!,
          'utf8',
        ),
    ).not.toContain('Moved-S3cret');
  });
});

describe('audit log', () => {
  it('fails verification after any single byte changes, naming the first bad line', () => {
    const { env } = smokeEnv();
    expect(cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env).code).toBe(0);
    const file = allFiles(env.WAYMARK_STATE_DIR).find((f) => f.endsWith('.audit.jsonl'))!;
    const original = readFileSync(file);
    expect(verifyAudit(file).ok).toBe(true);
    const lines = original.toString('utf8').split('\n');
    const target = 5; // 1-based line to alter
    const offset = lines.slice(0, target - 1).join('\n').length + 1 + 20;
    for (const pos of [offset, 3, original.length - 10]) {
      const altered = Buffer.from(original);
      altered[pos] = altered[pos] === 0x61 ? 0x62 : 0x61;
      writeFileSync(file, altered);
      const v = verifyAudit(file);
      expect(v.ok).toBe(false);
      expect(v.badLine).toBeGreaterThan(0);
    }
    const altered = Buffer.from(original);
    altered[offset] = altered[offset] === 0x61 ? 0x62 : 0x61;
    writeFileSync(file, altered);
    const r = cli(['audit', '--verify', '--runbook', 'examples/smoke.yaml'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`BROKEN at line (${target}|${target + 1})`));
    writeFileSync(file, original);
    expect(verifyAudit(file).ok).toBe(true);
  });
});

describe('waymark reset', () => {
  it('archives the run and its audit log (nothing deleted) and the next start begins a new run', () => {
    const { state, env } = smokeEnv();
    expect(
      cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes', '--phase', 'prepare'], {
        ...env,
        SMOKE_STEP_SECONDS: '0',
      }).code,
    ).toBe(0);
    const r = cli(['reset', '--runbook', 'examples/smoke.yaml'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/archived the run to .*runs\/archive\/smoke-.*\.json/);
    const archived = readdirSync(join(state, 'runs', 'archive'));
    expect(archived.some((f) => f.endsWith('.json'))).toBe(true);
    expect(archived.some((f) => f.includes('.audit.jsonl'))).toBe(true);
    expect(cli(['status', '--runbook', 'examples/smoke.yaml'], env).stdout).toMatch(/^No run yet/);
  });
});
