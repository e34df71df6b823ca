// Environments: a run is of one (its vars, its steps, its identity), said in its output and its
// report; and a production run promoted from staging begins only after a staging run of the same
// runbook has every phase signed off by keys the team trusts, which its report then names.
import { describe, it, expect } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function setup() {
  const dir = tempDir();
  copyFileSync('test/fixtures/environments.yaml', join(dir, 'runbook.yaml'));
  const env = { WAYMARK_STATE_DIR: join(dir, 'state'), WAYMARK_OPERATOR: 'alice', WAYMARK_ENV: '' };
  const run = (args: string[], more: NodeJS.ProcessEnv = {}) => cli(args, { ...env, ...more }, dir);
  return { dir, env, run };
}

describe('environments', () => {
  it('a run is of one environment: its vars and steps, its name in the output, apart from the others', () => {
    const { run } = setup();
    const none = run(['run', '--non-interactive', '--yes']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /this runbook runs in one of its environments \(staging, production\): give --env NAME \(or WAYMARK_ENV\)/,
    );
    expect(run(['run', '--non-interactive', '--env', 'qa']).stderr).toMatch(
      /--env qa: the runbook's environments are staging, production/,
    );
    const staging = run(['run', '--non-interactive', '--yes'], { WAYMARK_ENV: 'staging' });
    expect(staging.code, staging.stdout + staging.stderr).toBe(0);
    expect(staging.stdout).toMatch(/environment: staging\n/);
    expect(staging.stdout).toMatch(/\| target=staging-db env=staging/);
    expect(staging.stdout).toMatch(/one\/rehearse: passed/);
    const status = run(['status', '--env', 'staging']).stdout;
    expect(status.split('\n')[1]).toBe('environment: staging');
    expect(JSON.parse(run(['status', '--env', 'staging', '--json']).stdout)).toMatchObject({ environment: 'staging' });
    const runs = run(['runs']).stdout;
    expect(runs).toMatch(/envs v1 · STAGING · run/);
    expect(run(['validate']).stdout).toMatch(/valid — "Envs" v1: .*; environments staging, production/);
    expect(run(['validate', '--env', 'production']).stdout).toMatch(
      /valid — "Envs" v1: 2 phases, 4 steps, .*; in production/,
    );
  });

  it('production waits for staging signed off by trusted keys, and its report names that run', () => {
    const { dir, run } = setup();
    const prod = ['run', '--non-interactive', '--yes', '--env', 'production'];
    // no trust file: nothing could say whose keys signed staging
    expect(run(prod).stderr).toMatch(/begins only after a staging run .* there is no trust file to check them against/);
    mkdirSync(join(dir, '.waymark'));
    const trust = join(dir, '.waymark', 'allowed_signers');
    writeFileSync(trust, run(['key'], { WAYMARK_OPERATOR: 'lead' }).stdout);
    const before = run(prod);
    expect(before.code).toBe(2);
    expect(before.stderr).toMatch(/there is no staging run of it in /);
    // staging half done, signed by alice, whose key the team's file does not list yet
    const half = run(['run', '--non-interactive', '--yes', '--env', 'staging', '--phase', 'one']);
    expect(half.code, half.stdout).toBe(0);
    expect(run(prod).stderr).toMatch(/the sign-off of "one" by alice: key SHA256:\S+ is not trusted for "alice"/);
    writeFileSync(trust, readFileSync(trust, 'utf8') + run(['key']).stdout);
    expect(run(prod).stderr).toMatch(/: its phase "two" is not signed off/);
    expect(run(['run', '--non-interactive', '--yes', '--env', 'staging']).code).toBe(0);
    const go = run(prod);
    expect(go.code, go.stderr).toBe(0);
    expect(go.stdout).toMatch(
      /environment: production \(promoted from staging run [0-9a-f-]{36}, every phase signed off/,
    );
    expect(go.stdout).toMatch(/\| target=prod-db env=production/);
    expect(go.stdout).not.toMatch(/rehearse/);
    expect(run(['status', '--env', 'production']).stdout).toMatch(
      /^environment: production \(promoted from staging run [0-9a-f-]{36}, every phase signed off/m,
    );
    const out = join(dir, 'prod.md');
    expect(run(['report', '--env', 'production', '--format', 'md', '--out', out]).code).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/\| Environment \| production \|/);
    expect(md).toMatch(
      /\| Promoted from \| staging run [0-9a-f-]{36} of runbook sha256 [0-9a-f]{64}, audit log #\d+ [0-9a-f]{64}; signed off: one by alice \(key SHA256:\S+\); two by alice/,
    );
    // a staging run and a production run are two runs, never one
    expect(readdirSync(join(dir, 'state', 'runs')).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it("a staging record rewritten to look signed does not promote: the signature must sign that run's phase", () => {
    const { dir, run } = setup();
    mkdirSync(join(dir, '.waymark'));
    writeFileSync(join(dir, '.waymark', 'allowed_signers'), run(['key']).stdout);
    expect(run(['run', '--non-interactive', '--yes', '--env', 'staging', '--phase', 'one']).code).toBe(0);
    const file = join(
      dir,
      'state',
      'runs',
      readdirSync(join(dir, 'state', 'runs')).find((f) => f.endsWith('.json'))!,
    );
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    // phase two "signed off" with phase one's (valid, trusted) signature
    doc.phases.two = { ...doc.phases.one };
    writeFileSync(file, JSON.stringify(doc));
    const r = run(['run', '--non-interactive', '--yes', '--env', 'production']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the sign-off of "two" by alice signs another run or phase/);
  });

  it('--allowed-signers names the trust file production is promoted on, wherever the team keeps it', () => {
    const { dir, run } = setup();
    expect(run(['run', '--non-interactive', '--yes', '--env', 'staging']).code).toBe(0);
    const prod = ['run', '--non-interactive', '--yes', '--env', 'production'];
    const trust = join(dir, 'team-signers');
    writeFileSync(trust, run(['key']).stdout);
    // none beside the runbook: without the flag there is nothing to check staging's keys against
    expect(run(prod).stderr).toMatch(/there is no trust file to check them against: .* or give --allowed-signers/);
    const go = run([...prod, '--allowed-signers', trust]);
    expect(go.code, go.stderr).toBe(0);
    expect(go.stdout).toMatch(/environment: production \(promoted from staging run [0-9a-f-]{36}/);
  });
});
