import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../../src/process/run.js';
import { applyEnvEdit, planEnvEdit, formatEnvDiff } from '../../src/phases/env-edit.js';
import { cli, cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// A killed process whose parent is gone may linger as a zombie until reaped: that counts as dead.
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('runProcess', () => {
  it('streams lines with timestamps and reports the exit code', async () => {
    const lines: Array<{ at: string; stream: string; text: string }> = [];
    const r = await runProcess({ argv: ['sh', '-c', 'echo one; echo two >&2; exit 3'], onLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(3);
    expect(lines.map((l) => `${l.stream}:${l.text}`).sort()).toEqual(['stderr:two', 'stdout:one']);
    expect(lines[0].at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('passes arguments without a shell (no injection)', async () => {
    const lines: string[] = [];
    await runProcess({ argv: ['echo', '$(whoami); ls'], onLine: (l) => lines.push(l.text) });
    expect(lines).toEqual(['$(whoami); ls']);
  });

  it('cancellation kills the whole process tree', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    const p = runProcess({
      argv: ['sh', '-c', 'sleep 30 & echo child $!; sleep 30'],
      shell: false,
      signal: ac.signal,
      onLine: (l) => lines.push(l.text),
    });
    const t0 = Date.now();
    while (!lines.length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    const grandchild = Number(lines[0].split(' ')[1]);
    expect(alive(grandchild)).toBe(true);
    ac.abort();
    const r = await p;
    expect(r.cancelled).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(grandchild)).toBe(false);
  });

  it('times out and kills', async () => {
    const r = await runProcess({ argv: ['sleep', '20'], timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('reports a command that cannot start', async () => {
    const r = await runProcess({ argv: ['/no/such/binary-xyz'] });
    expect(r.error ?? String(r.exitCode)).toMatch(/ENOENT|not found|127/);
  });
});

describe('edit-env', () => {
  it('shows a diff, writes atomically and keeps a backup', () => {
    const dir = tempDir();
    const file = join(dir, '.env');
    writeFileSync(file, '# flags\nUSE_POSTGRES=false   # start with false\nDUAL_WRITE_ENABLED=true\nOTHER=1\n');
    const plan = planEnvEdit(file, { USE_POSTGRES: 'true', NEW_KEY: 'x y' });
    expect(formatEnvDiff(plan)).toEqual(['- USE_POSTGRES=false', '+ USE_POSTGRES=true', '+ NEW_KEY=x y']);
    const backup = applyEnvEdit(file, { USE_POSTGRES: 'true', NEW_KEY: 'x y' });
    expect(readFileSync(file, 'utf8')).toBe(
      '# flags\nUSE_POSTGRES=true   # start with false\nDUAL_WRITE_ENABLED=true\nOTHER=1\nNEW_KEY="x y"\n',
    );
    expect(backup && readFileSync(backup, 'utf8')).toContain('USE_POSTGRES=false');
    expect(readdirSync(dir).filter((f) => f.includes('waymark-tmp'))).toEqual([]);
  });
  it('lists the changes first and names the keys already at their value on one line', () => {
    const dir = tempDir();
    const file = join(dir, '.env');
    writeFileSync(file, 'A=1\nB=2\nC=old\n');
    expect(formatEnvDiff(planEnvEdit(file, { A: '1', B: '2', C: 'new' }))).toEqual([
      '- C=old',
      '+ C=new',
      '  already set: A, B',
    ]);
  });
  it('masks secrets in the diff', () => {
    expect(
      formatEnvDiff([{ key: 'DB_PASSWORD', from: undefined, to: 'hunter2' }], (v) => v.replace('hunter2', '***')),
    ).toEqual(['+ DB_PASSWORD=***']);
  });
});

describe('Ctrl-C in the non-interactive mode', () => {
  it('kills the running step, records it as interrupted and exits 130', async () => {
    const state = tempDir();
    const work = tempDir();
    const env = { WAYMARK_STATE_DIR: state, SMOKE_WORK_DIR: work, SMOKE_STEP_SECONDS: '20' };
    const run = cliAsync(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env);
    await run.waitFor(/\| starting/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/interrupted \(SIGINT\): stopping the running step/);
    expect(r.stdout).toMatch(/slow-write: interrupted .* — interrupted by Ctrl-C; the process tree was killed/);
    const st = JSON.parse(cli(['status', '--json', '--runbook', 'examples/smoke.yaml'], env).stdout);
    expect(st.phases[0].steps[1]).toMatchObject({ id: 'slow-write', status: 'interrupted', attempts: 1 });
    expect(existsSync(join(work, 'marker.txt'))).toBe(false);
  });
});
