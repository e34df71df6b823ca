// The built CLI in a real pseudo-terminal (util-linux `script`): run a step, quit
// mid-phase, start again, and resume at the same step.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
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

function startTui(env: NodeJS.ProcessEnv, base = terminalEnv()) {
  const child = spawn('script', ['-qfec', `node ${resolve('bin/waymark.js')} --runbook examples/smoke.yaml`, '/dev/null'], {
    env: { ...base, ...env, COLUMNS: '80', LINES: '24', TERM: 'xterm-256color' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exited: number | null | undefined;
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const waitFor = async (re: RegExp, ms = 20_000) => {
    const t0 = Date.now();
    while (!re.test(strip(out))) {
      const why = exited !== undefined ? `the process exited (${exited})` : Date.now() - t0 > ms ? 'timed out' : '';
      if (why) throw new Error(`${why} waiting for ${re}; screen so far:\n${strip(out).slice(-2000)}\nstderr:\n${err.slice(-1000)}`);
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
  return { waitFor, send, done, mark: () => (out = ''), screen: () => strip(out) };
}

describe('TUI end to end in a pseudo-terminal', () => {
  it('runs a step, quits mid-phase, and resumes at the same step', async () => {
    const env = { WAYMARK_STATE_DIR: tempDir(), SMOKE_WORK_DIR: tempDir(), SMOKE_STEP_SECONDS: '1', WAYMARK_OPERATOR: 'pty-tester' };
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

  it('with CI set, a terminal gets plain lines and a notice saying why, not a blank screen', async () => {
    const env = { WAYMARK_STATE_DIR: tempDir(), SMOKE_WORK_DIR: tempDir(), SMOKE_STEP_SECONDS: '1', WAYMARK_OPERATOR: 'pty-tester', CI: 'true' };
    const a = startTui(env);
    await a.waitFor(/CI is set, so Waymark prints plain lines/);
    await a.waitFor(/prepare\/make-dir: passed, exit 0/);
    await a.waitFor(/manual step "Look at the marker" needs the operator's confirmation/);
    expect(await a.done).toBe(1);
  }, 60_000);
});
