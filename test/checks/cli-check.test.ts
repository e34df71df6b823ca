import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { serverUrl } from '../helpers/pg.js';

describe('waymark check', () => {
  it('--list prints every check of the runbook, the id first on each line', () => {
    const r = cli(['check', '--list'], { WAYMARK_STATE_DIR: tempDir(), WAYMARK_ENV: 'production' });
    expect(r.code).toBe(0);
    const ids = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(ids).toEqual(
      expect.arrayContaining([
        'db-connection',
        'counts-match',
        'data-validation',
        'pg-pool',
        'slow-queries',
        'cache-hit',
        'index-usage',
        'db-size',
      ]),
    );
  });

  it('runs one check now: JSON with id, status, summary, metrics, durationMs; exit 0 on pass', () => {
    const r = cli(['check', 'db-connection', '--json'], {
      WAYMARK_STATE_DIR: tempDir(),
      WAYMARK_ENV: 'staging',
      DATABASE_URL: serverUrl(),
      // staging names its own database (the runbook's vars beat the URL's): here, the URL's
      DB_NAME: new URL(serverUrl()).pathname.slice(1),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ id: 'db-connection', status: 'pass' });
    expect(typeof j.summary).toBe('string');
    expect(typeof j.durationMs).toBe('number');
    expect(j.metrics.server_version).toMatch(/^\d+/);
  });

  it('on production before staging is signed off, a check still answers, recorded in no run, and says so', () => {
    const state = tempDir();
    const r = cli(['check', 'db-connection', '--json'], {
      WAYMARK_STATE_DIR: state,
      WAYMARK_ENV: 'production',
      DATABASE_URL: serverUrl(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'db-connection', status: 'pass' });
    expect(r.stderr).toBe(
      'note: not recorded: no production run may begin yet (production is promoted from staging, not signed off yet)\n',
    );
    expect(existsSync(join(state, 'runs'))).toBe(false);
  });

  it('a wrong password exits 1 within the timeout, says which failure, and never shows the password', () => {
    const u = new URL(serverUrl());
    u.password = 'Wr0ng-Passw0rd';
    const t0 = Date.now();
    const r = cli(['check', 'db-connection'], {
      WAYMARK_STATE_DIR: tempDir(),
      WAYMARK_ENV: 'staging',
      DATABASE_URL: u.toString(),
    });
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL db-connection: cannot connect to .*authentication failed/);
    expect(r.stdout).toMatch(/hint: check DB_USER and DB_PASSWORD/);
    expect(r.stdout + r.stderr).not.toContain('Wr0ng-Passw0rd');
  });

  it('an unknown check id is bad input (exit 2)', () => {
    const r = cli(['check', 'nope'], { WAYMARK_STATE_DIR: tempDir(), WAYMARK_ENV: 'production' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown check "nope"/);
  });
});

describe('waymark validate and schema', () => {
  it('validate exits 0 on runbook.yaml and 2 with positions on a broken file', async () => {
    expect(cli(['validate', 'runbook.yaml']).code).toBe(0);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.yaml'),
      'id: t\ntitle: T\nversion: 1\nphases:\n  - id: p\n    title: P\n    gate: [ghost]\n    steps:\n      - { id: s, kind: teleport, title: x }\n',
    );
    const r = cli(['validate', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => /:\d+:\d+: /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toMatch(/bad\.yaml:7:\d+: unknown check "ghost"/);
    expect(r.stderr).toMatch(/bad\.yaml:9:\d+: .*unknown step kind/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
  it('schema prints the committed JSON Schema', async () => {
    const { readFileSync } = await import('node:fs');
    const r = cli(['schema']);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync('runbook.schema.json', 'utf8')));
  });
  it('a reader that goes away (`| head`) ends the output quietly: exit 0, no EPIPE trace', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['bin/waymark.js', 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before Waymark writes: its writes fail with EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
  it('--version (read by the entry from package.json) is the version the command line names', async () => {
    const { VERSION } = await import('../../src/version.js');
    const pkg = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')) as { version: string };
    expect(cli(['--version']).stdout).toBe(`${pkg.version}\n`);
    expect(VERSION).toBe(pkg.version);
    expect(cli(['--help']).stdout).toMatch(new RegExp(`^waymark ${VERSION.replace(/\./g, '\\.')} `));
  });

  it('--help and --version work on every command; unknown commands and flags exit 2', () => {
    for (const c of [
      'run',
      'validate',
      'schema',
      'status',
      'check',
      'audit',
      'report',
      'verify',
      'plan',
      'rollback',
      'reset',
      'demo',
    ]) {
      const r = cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: waymark/);
      expect(cli([c, '--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(cli(['frobnicate']).code).toBe(2);
    expect(cli(['status', '--colour']).code).toBe(2);
  });
});
