// What kills and odd machines leave behind: a step's process that has ended but is not reaped
// (a zombie), the temp files of saves cut short, a state folder that is not a folder.
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupAlive, procState } from '../../src/state/lock.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const python = ['/usr/bin/python3'].find((p) => existsSync(p));
let parent: ChildProcess | undefined;
afterEach(() => parent?.kill('SIGKILL'));

describe.skipIf(!python || !existsSync('/proc/self/stat'))('a step whose process has ended but is not reaped', () => {
  it('is not "still running": a group of zombies has ended', async () => {
    // a parent that never reaps: its child leads a group of its own and exits at once
    const code = [
      'import os, sys, time',
      'pid = os.fork()',
      'if pid == 0:',
      '    os.setpgid(0, 0)',
      '    os._exit(0)',
      'sys.stdout.write(str(pid) + "\\n"); sys.stdout.flush()',
      'time.sleep(60)',
    ].join('\n');
    parent = spawn(python!, ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((res) => parent!.stdout!.once('data', (d: Buffer) => res(Number(d))));
    // a condition, not a time: the child has become a zombie in its own group
    for (let i = 0; i < 400 && !(procState(pid) === 'Z' && groupLeaderOf(pid) === pid); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(procState(pid)).toBe('Z');
    // the kernel still answers for it: that is what made a dead step look alive
    expect(() => process.kill(-pid, 0)).not.toThrow();
    expect(groupAlive(pid)).toBe(false);
    expect(groupAlive(groupLeaderOf(process.pid))).toBe(true);
  });
});

function groupLeaderOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('the temp files of saves cut short by a kill', () => {
  it('are cleared on the next start; a live process’s temp is left alone', () => {
    const env = { WAYMARK_STATE_DIR: tempDir(), SMOKE_WORK_DIR: tempDir(), SMOKE_STEP_SECONDS: '0' };
    const SMOKE = ['--runbook', 'examples/smoke.yaml'];
    expect(cli(['run', ...SMOKE, '--non-interactive', '--yes', '--phase', 'prepare'], env).code).toBe(0);
    const runs = join(env.WAYMARK_STATE_DIR, 'runs');
    const state = readdirSync(runs).find((f) => f.endsWith('.json'))!;
    // what 12 of 100 kills left here: a save's temp, never renamed over the state
    const dead = spawnSync('true').pid!;
    writeFileSync(join(runs, `${state}.tmp-${dead}`), '{"half": ');
    const living = join(runs, `${state}.tmp-${process.pid}`);
    writeFileSync(living, '{}');
    expect(cli(['run', ...SMOKE, '--non-interactive', '--yes'], env).code).toBe(0);
    expect(readdirSync(runs).filter((f) => f.includes('.tmp-'))).toEqual([`${state}.tmp-${process.pid}`]);
    expect(existsSync(living)).toBe(true);
  });
});

describe('a state folder that cannot be read', () => {
  it('status says what is wrong and exits 2, as run does (not "No run yet")', () => {
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    for (const cmd of [['status'], ['run', '--non-interactive', '--yes']]) {
      const r = cli([...cmd, '--runbook', 'examples/smoke.yaml', '--state-dir', file]);
      expect(r.code).toBe(2);
      expect(r.stdout).not.toMatch(/No run yet/);
      expect(r.stderr).toMatch(/not-a-folder is a file, not a folder/);
    }
  });
});
