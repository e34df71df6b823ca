// waymark import: a runbook written only for people becomes one Waymark runs. The seed document
// imports with its own phases and steps; two runbooks written for these tests (console
// transcripts, SQL, numbered steps, a rollback and a troubleshooting section, secrets in
// commands) import to runbooks that validate, with every secret made an input.
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importMarkdown } from '../../src/load/import-markdown.js';
import { loadRunbook } from '../../src/load/loader.js';
import { runbookToMarkdown } from '../../src/load/to-markdown.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** The import of a fixture, written as Markdown and loaded as Waymark loads it. */
function imported(fixture: string) {
  const text = readFileSync(`test/fixtures/${fixture}`, 'utf8');
  const r = importMarkdown(text, fixture);
  const file = join(tempDir(), 'runbook.md');
  const md = runbookToMarkdown(r.raw);
  writeFileSync(file, md);
  return { ...r, md, lr: loadRunbook(file, { env: {} }) };
}

describe('waymark import', () => {
  it('the seed document: its phases, its steps in order, nine in ten of its shell and SQL blocks, its secrets', () => {
    const { lr, blocks, notes, md } = imported('seed-runbook.md');
    const rb = lr.runbook;
    expect(rb.phases.map((p) => `${p.title}${p.when ? ` (${p.when})` : ''}`)).toEqual([
      'Pre-Migration Checklist',
      'Phase 1: Deploy Dual-Write (Day 1 - Hour 0)',
      'Phase 2: Migrate Historical Data (Day 1 - Hour 1-2)',
      'Phase 3: Validate Data Integrity (Day 1 - Hour 2)',
      'Phase 4: Switch to PostgreSQL Reads (Day 1 - Hour 3)',
      'Phase 5: Monitor & Cleanup (Day 2-7)',
    ]);
    expect(blocks.mapped / blocks.total).toBeGreaterThanOrEqual(0.9);
    expect(blocks.total).toBeGreaterThanOrEqual(15);
    const pre = rb.phases[0].steps.map((s) => `${s.kind}: ${s.title}`);
    expect(pre.slice(0, 5)).toEqual([
      'command: Verify PostgreSQL is installed and running',
      'command: Create database (if not exists)',
      'edit-env: Set environment variables in .env',
      'edit-env: Migration control flags',
      'command: Backup JSON files',
    ]);
    // an "Expected output" block is the step's expectation
    const migrate = rb.phases[2].steps[0];
    expect(migrate).toMatchObject({ kind: 'command', run: 'node database/migrate-json-to-postgres.js' });
    expect(migrate.kind === 'command' && migrate.expect).toBe('✅ Migration completed successfully!');
    expect(rb.rollback.map((r) => r.title)).toEqual([
      'Emergency Rollback to JSON',
      'Partial Rollback (Specific Tables)',
    ]);
    expect(rb.troubleshooting.map((t) => t.symptom).slice(0, 4)).toEqual([
      'Connection timeout to PostgreSQL',
      'Slow queries detected',
      'Duplicate key violation',
      'Data mismatch between JSON and PostgreSQL',
    ]);
    // the password in the .env lines and the one in the signup request are inputs, never copied
    expect(Object.keys(rb.inputs)).toEqual(expect.arrayContaining(['DB_PASSWORD', 'PASSWORD']));
    expect(md).not.toContain('your_secure_password');
    expect(md).not.toContain('test123');
    // what has no step is kept (in the description) and listed with its line
    expect(rb.description).toContain('Strategy Summary');
    expect(notes).toEqual(
      expect.arrayContaining([{ line: 16, note: '"Overview" holds no step: kept in the description' }]),
    );
  });

  it('a restore drill: console transcripts, numbered prose, "You should see", SQL query and change, rollback', () => {
    const { lr, blocks } = imported('import-restore-drill.md');
    const rb = lr.runbook;
    expect(rb.phases.map((p) => p.title)).toEqual(['Prepare', 'Restore']);
    const [prepare, restore] = rb.phases.map((p) => p.steps);
    expect(prepare[0]).toMatchObject({ kind: 'manual', title: 'Announce the drill' });
    // "$ " is the command, the line after it its output: expected
    expect(prepare[1]).toMatchObject({
      kind: 'command',
      title: "Find last night's backup",
      run: 'ls -1 /backups/orders | tail -1',
    });
    expect(prepare[1].kind === 'command' && prepare[1].expect).toBe('orders-20261205\\.dump');
    expect(restore.map((s) => `${s.kind}: ${s.title}`)).toEqual([
      'command: Create the scratch database',
      'command: Load the backup',
      'check: Count the orders',
      'command: Mark the drill done',
      'signoff: Sign off Restore',
    ]);
    expect(restore[1].kind === 'command' && restore[1].expect).toBe('pg_restore: restore complete');
    expect(rb.checks[String(restore[2].kind === 'check' && restore[2].check)]).toMatchObject({
      type: 'pg.query',
      params: { sql: 'SELECT count(*) AS orders FROM orders;' },
    });
    expect(restore[3].kind === 'command' && restore[3].run).toMatch(
      /^psql "\$DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'\nINSERT INTO drills/,
    );
    expect(rb.rollback).toMatchObject([
      { title: 'Drop the scratch database', steps: [{ run: 'dropdb orders_drill' }] },
    ]);
    // the table of contents is not steps
    expect(rb.description).toContain('[Prepare](#prepare)');
    expect(blocks).toEqual({ total: 6, mapped: 6 });
  });

  it("a deploy: a token on a command line, a URL's password, a bearer token become secret inputs passed by env", () => {
    const { lr, md } = imported('import-deploy.md');
    const rb = lr.runbook;
    for (const secret of ['ghp_abcdef1234567890', 'hunter2', 'sk_live_0123456789abcdef'])
      expect(md).not.toContain(secret);
    expect(rb.inputs).toMatchObject({
      REGISTRY_TOKEN: { secret: true },
      URL_PASSWORD: { secret: true },
      TOKEN: { secret: true },
    });
    const steps = rb.phases.flatMap((p) => p.steps);
    const push = steps.find((s) => s.title === 'Push it')!;
    expect(push).toMatchObject({ run: 'REGISTRY_TOKEN="${REGISTRY_TOKEN}" docker push registry.example.com/billing' });
    // the shell's own ${…} stays the shell's
    expect(steps.find((s) => s.title === 'Build the image')).toMatchObject({
      run: 'docker build -t billing:${VERSION:-latest} .',
    });
    expect(rb.troubleshooting).toMatchObject([
      { symptom: 'pods crash-loop', description: '**Symptoms**: the new pods restart again and again.' },
    ]);
  });

  it('through the CLI: writes runbook.md (or .yaml), never over a file, lists what needs a person', () => {
    const dir = tempDir();
    const r = cli(['import', join(process.cwd(), 'test/fixtures/import-deploy.md')], {}, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^imported .*import-deploy\.md → runbook\.md: 3 phases, 7 steps \(4 commands, 3 sign-offs\)/,
    );
    expect(r.stdout).toMatch(
      /needs a person's attention:\n  .*import-deploy\.md:11: a secret \(REGISTRY_TOKEN=\) became the secret input REGISTRY_TOKEN/,
    );
    expect(r.stdout).toMatch(/runbook\.md: valid \(3 phases\)/);
    const again = cli(['import', join(process.cwd(), 'test/fixtures/import-deploy.md')], {}, dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/runbook\.md exists: it is never overwritten; give --out ANOTHER_FILE/);
    const yaml = cli(
      ['import', join(process.cwd(), 'test/fixtures/import-deploy.md'), '--out', 'deploy.yaml'],
      {},
      dir,
    );
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(cli(['validate', join(dir, 'deploy.yaml')]).code).toBe(0);
    // a YAML runbook written as Markdown
    const conv = cli(['import', join(process.cwd(), 'examples/smoke.yaml'), '--out', 'smoke.md'], {}, dir);
    expect(conv.stdout).toMatch(/wrote smoke\.md: .*smoke\.yaml in the Markdown runbook format/);
    expect(cli(['validate', join(dir, 'smoke.md')]).code).toBe(0);
  });
});
