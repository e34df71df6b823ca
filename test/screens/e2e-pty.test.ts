// The built CLI in a real pseudo-terminal (util-linux `script`): run a step, quit
// mid-phase, start again, and resume at the same step.
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostName } from '../../src/state/host.js';

/** Every process's command line, from /proc (no dependence on ps). */
function commandLines(): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        return ''; // the process ended meanwhile
      }
    });
}
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const strip = (s: string) => s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '').replace(/\u001B[()][A-Z0-9]/g, '');

// CI runners set CI, and Waymark then prints plain lines (see src/commands/interactive.ts);
// the TUI runs here as on an operator's terminal.
function terminalEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  return env;
}

// a test that fails half-way must not leave its TUI running
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startTui(env: NodeJS.ProcessEnv, base = terminalEnv(), args = '--runbook examples/smoke.yaml') {
  const child = spawn('script', ['-qfec', `node ${resolve('bin/waymark.js')} ${args}`, '/dev/null'], {
    env: { ...base, ...env, COLUMNS: '80', LINES: '24', TERM: 'xterm-256color' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  let exited: number | null | undefined;
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const waitFor = async (re: RegExp, ms = 20_000) => {
    const t0 = Date.now();
    while (!re.test(strip(out))) {
      const why = exited !== undefined ? `the process exited (${exited})` : Date.now() - t0 > ms ? 'timed out' : '';
      if (why)
        throw new Error(
          `${why} waiting for ${re}; screen so far:\n${strip(out).slice(-2000)}\nstderr:\n${err.slice(-1000)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const send = async (keys: string) => {
    child.stdin.write(keys);
    await new Promise((r) => setTimeout(r, 150));
  };
  const done = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      exited = code;
      r(code);
    }),
  );
  return { waitFor, send, done, mark: () => (out = ''), screen: () => strip(out), child };
}

describe('TUI end to end in a pseudo-terminal', () => {
  it('runs a step, quits mid-phase, and resumes at the same step', async () => {
    const env = {
      WAYMARK_STATE_DIR: tempDir(),
      SMOKE_WORK_DIR: tempDir(),
      SMOKE_STEP_SECONDS: '1',
      WAYMARK_OPERATOR: 'pty-tester',
    };
    const a = startTui(env);
    await a.waitFor(/Press Enter to begin/);
    await a.send('\r');
    await a.waitFor(/› · Create the work folder/);
    await a.send('\r');
    await a.waitFor(/✔ Create the work folder/);
    await a.waitFor(/› · Write the marker slowly/);
    await a.send('q');
    await a.waitFor(/Quit\? y\/n/);
    await a.send('y');
    expect(await a.done).toBe(0);

    const b = startTui(env);
    await b.waitFor(/Press Enter to Resume/);
    expect(b.screen()).toMatch(/You stopped in: Prepare the work folder → Write the marker slowly/);
    await b.send('\r');
    await b.waitFor(/› · Write the marker slowly/);
    expect(b.screen()).toMatch(/✔ Create the work folder/);
    await b.send('\r');
    await b.waitFor(/✔ Write the marker slowly/);
    await b.send('q');
    await b.send('y');
    expect(await b.done).toBe(0);
  }, 60_000);

  it('a dropped terminal (SIGHUP): the running step is killed and recorded, the lock released, nothing left running', async () => {
    const state = tempDir();
    const env = {
      WAYMARK_STATE_DIR: state,
      SMOKE_WORK_DIR: tempDir(),
      SMOKE_STEP_SECONDS: '41',
      WAYMARK_OPERATOR: 'pty-tester',
    };
    const a = startTui(env);
    await a.waitFor(/Press Enter to begin/);
    await a.send('\r');
    await a.waitFor(/› · Create the work folder/);
    await a.send('\r');
    await a.waitFor(/› · Write the marker slowly/);
    await a.send('\r');
    await a.waitFor(/running — x stops it/);
    await a.waitFor(/│ starting/);
    await new Promise((r) => setTimeout(r, 200));
    expect(commandLines()).toContain('sleep 41');
    a.child.kill('SIGKILL'); // the terminal goes away: the kernel hangs up its session
    await a.done;
    const runs = join(state, 'runs');
    const t0 = Date.now();
    while (readdirSync(runs).some((f) => f.endsWith('.lock')) && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(runs).filter((f) => f.endsWith('.lock'))).toEqual([]);
    const st = JSON.parse(
      readFileSync(
        join(
          runs,
          readdirSync(runs).find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    );
    expect(st.steps['prepare/slow-write']).toMatchObject({ status: 'interrupted' });
    expect(st.steps['prepare/slow-write'].message).toMatch(/the terminal closed \(SIGHUP/);
    expect(commandLines().some((c) => c === 'sleep 41')).toBe(false);
  }, 60_000);

  it('with CI set, a terminal gets plain lines and a notice saying why, not a blank screen', async () => {
    const env = {
      WAYMARK_STATE_DIR: tempDir(),
      SMOKE_WORK_DIR: tempDir(),
      SMOKE_STEP_SECONDS: '1',
      WAYMARK_OPERATOR: 'pty-tester',
      CI: 'true',
    };
    const a = startTui(env);
    await a.waitFor(/CI is set, so Waymark prints plain lines/);
    await a.waitFor(/prepare\/make-dir: passed, exit 0/);
    await a.waitFor(/manual step "Look at the marker" needs the operator's confirmation/);
    expect(await a.done).toBe(1);
  }, 60_000);

  it('a second operator on a running demo follows it read-only instead of being refused', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'demo', 'workspace'), { recursive: true });
    writeFileSync(join(dir, 'demo', 'demo.json'), JSON.stringify({ pgPort: 1, appPort: 2 }));
    writeFileSync(join(dir, 'demo', 'workspace', '.env'), 'DB_PASSWORD=not-a-real-one\n');
    // the demo that runs now: its lock names a live process (this one)
    const lock = { operator: 'alice', host: hostName(), pid: process.pid, since: new Date().toISOString() };
    writeFileSync(join(dir, 'demo.lock'), JSON.stringify(lock));
    const bob = startTui({ WAYMARK_STATE_DIR: dir }, terminalEnv(), 'demo --operator bob');
    await bob.waitFor(/bob · READ-ONLY, following/);
    await bob.waitFor(/Press Enter to begin/);
    await bob.send('q');
    await bob.waitFor(/Quit\? y\/n/);
    await bob.send('y');
    expect(await bob.done).toBe(0);
    // nothing of the run was written by the follower
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  }, 60_000);

  it('waymark watch follows a run another process walks, to its sign-off and after, naming who holds it', async () => {
    const dir = tempDir();
    const runbook = resolve('test/fixtures/watch.yaml');
    const env = { WAYMARK_STATE_DIR: join(dir, 'state'), WAYMARK_OPERATOR: 'alice', GATE_DIR: dir };
    const { cliAsync, cli } = await import('../helpers/cli.js');
    const run = cliAsync(['run', '--runbook', runbook, '--non-interactive', '--yes'], env);
    started.push(run.child);
    await run.waitFor(/waiting for go1/);
    const bob = startTui({ ...env, WAYMARK_OPERATOR: 'bob' }, terminalEnv(), `watch --runbook ${runbook}`);
    await bob.waitFor(/bob · READ-ONLY, following alice/);
    await bob.send('\r');
    await bob.waitFor(/First\s+\[command · running\]/);
    bob.mark();
    writeFileSync(join(dir, 'go1'), 'go\n');
    await bob.waitFor(/First\s+\[command · passed\]/);
    await bob.waitFor(/Sign off One\s+\[signoff · passed\]/);
    expect((await run.done).code).toBe(0);
    // the operator's session ended: the header says so as it happens
    await bob.waitFor(/bob · READ-ONLY, following nobody/);
    // the watcher changes nothing: a key that would run a step is refused, the folder stays as it was
    const files = () =>
      Object.fromEntries(
        readdirSync(env.WAYMARK_STATE_DIR, { recursive: true, encoding: 'utf8' }).map((f) => {
          const p = join(env.WAYMARK_STATE_DIR, f);
          return [f, existsSync(p) && !statSync(p).isDirectory() ? readFileSync(p, 'utf8') : 'dir'];
        }),
      );
    const before = files();
    bob.mark();
    await bob.send('\u001B[A\r');
    await bob.waitFor(/"One" is signed off \(by alice at [^)]+\); it is closed/);
    expect(files()).toEqual(before);
    // and holds no lock: another operator's session starts while it watches, and the header names her
    const carol = startTui({ ...env, WAYMARK_OPERATOR: 'carol' }, terminalEnv(), `--runbook ${runbook}`);
    await carol.waitFor(/Every phase is signed off/);
    await bob.waitFor(/bob · READ-ONLY, following carol/);
    await carol.send('q');
    await carol.send('y');
    expect(await carol.done).toBe(0);
    await bob.waitFor(/bob · READ-ONLY, following nobody/);
    expect(cli(['status', '--runbook', runbook], env).code).toBe(0);
    await bob.send('q');
    await bob.send('y');
    expect(await bob.done).toBe(0);
  }, 60_000);
});
