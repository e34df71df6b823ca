// The shipped runbook judges its restarts by what they print: the Flux Studio app restarted
// with its database down says "degraded", exits 0, and the step must fail with that line.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { freePort } from '../../src/pg/embedded.js';

const APP = resolve('examples/fluxstudio');
const shipped = parse(readFileSync('runbook.yaml', 'utf8'));
const step = (phase: string, id: string) =>
  shipped.phases.find((p: { id: string }) => p.id === phase).steps.find((s: { id: string }) => s.id === id);

let appEnv: NodeJS.ProcessEnv | undefined;
afterAll(() => {
  if (appEnv) spawnSync(process.execPath, [join(APP, 'app-control.js'), 'stop'], { env: appEnv, stdio: 'ignore' });
});

describe('runbook.yaml judges commands by their output', () => {
  it('every restart of the app fails on a degraded answer; the error-log step fails on an error line', () => {
    for (const [phase, id] of [
      ['phase-1-dual-write', 'deploy'],
      ['phase-4-switch-reads', 'restart'],
      ['phase-5-monitor-cleanup', 'restart'],
    ])
      expect(step(phase, id).fail_on, `${phase}/${id}`).toMatch(/degraded/);
    expect(
      new RegExp(step('phase-5-monitor-cleanup', 'errors').fail_on).test(
        'PostgreSQL pool error: terminating connection',
      ),
    ).toBe(true);
    // createdb exits 1 both when the database exists (fine) and when it cannot connect (not fine)
    const createdb = new RegExp(step('pre-migration', 'createdb').fail_on);
    expect(
      createdb.test('createdb: error: connection to server at "10.0.0.9", port 5432 failed: timeout expired'),
    ).toBe(true);
    expect(
      createdb.test('createdb: error: database creation failed: ERROR:  permission denied to create database'),
    ).toBe(true);
    expect(
      createdb.test('createdb: error: database creation failed: ERROR:  database "fluxstudio_db" already exists'),
    ).toBe(false);
  });

  it('the restart step, as shipped, FAILS when the app comes back degraded, naming the line', async () => {
    const ws = tempDir();
    const deadPort = await freePort(); // nothing listens there: the app's database is down
    writeFileSync(
      join(ws, '.env'),
      [
        `DB_HOST=127.0.0.1`,
        `DB_PORT=${deadPort}`,
        'DB_NAME=flux',
        'DB_USER=u',
        'DB_PASSWORD=p',
        `PORT=${await freePort()}`,
        'USE_POSTGRES=true',
        'DUAL_WRITE_ENABLED=true',
        `DATA_DIR=${ws}`,
        '',
      ].join('\n'),
    );
    appEnv = { ...process.env, ENV_FILE: join(ws, '.env') };
    spawnSync(process.execPath, [join(APP, 'generate-data.js'), '--users', '3', '--out', ws], { stdio: 'ignore' });
    const restart = step('phase-4-switch-reads', 'restart');
    const rb = {
      id: 'degraded',
      title: 'Degraded restart',
      version: 1,
      vars: { RESTART_CMD: { default: 'x' }, APP_DIR: { default: APP } },
      phases: [{ id: 'p', title: 'P', steps: [{ ...restart, id: 'restart' }] }],
    };
    writeFileSync(join(ws, 'rb.json.yaml'), JSON.stringify(rb));
    const r = cli(['run', '--non-interactive', '--yes', '--runbook', join(ws, 'rb.json.yaml')], {
      ...appEnv,
      WAYMARK_STATE_DIR: join(ws, 'state'),
      WAYMARK_OPERATOR: 'tester',
      RESTART_CMD: `"${process.execPath}" app-control.js restart`,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /output matched fail_on \/"status":"\(degraded\|down\|error\)"\/: ".*\\"status\\":\\"degraded\\".*"/,
    );
  });
});
