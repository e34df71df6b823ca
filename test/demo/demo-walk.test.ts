// The whole seed migration, non-interactively, against `waymark demo`'s own
// embedded PostgreSQL and app; the 24 h and 7 d waits are passed by a test clock.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('waymark demo, walked non-interactively', () => {
  it('runs every phase to sign-off; waits are real gates; nothing is left running', () => {
    const state = tempDir();
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'demo-tester' };
    // a rehearsal from its first step: the clock may then move on to pass the waits
    const first = cli(['demo', '--non-interactive', '--yes', '--var', 'duplicate_policy=keep-first'], {
      ...env,
      WAYMARK_CLOCK_OFFSET: '0s',
    });
    expect(first.stdout).toMatch(/REHEARSAL · clock \+0s/);
    // staging first, on its own database and a copy of production's JSON files
    expect(first.stdout).toMatch(/^\[[\d:]+\] environment: staging$/m);
    expect(first.stderr).toMatch(
      /staging: Flux Studio app on http:\/\/127\.0\.0\.1:\d+ .*a copy of production's data\)/,
    );
    expect(first.stderr).toMatch(
      /walking staging first: production begins only once its run has every phase signed off/,
    );
    expect(first.stderr).toMatch(
      /npx waymark demo watch; in a browser: npx waymark demo serve \(http:\/\/127\.0\.0\.1:7320\//,
    );
    expect(first.stdout).toMatch(/fluxstudio_staging_\d{8}-\d{6}\.sql/);
    expect(first.stdout).not.toMatch(/fluxstudio_db/);
    expect(first.stderr).toMatch(/PostgreSQL up in \d+ ms/);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/Phase 4: Switch to PostgreSQL reads: signed off by demo-tester/);
    expect(first.stdout).toMatch(/stable-24h: PostgreSQL reads stable for 24 h — available in 2[34] h \d+ m/);
    expect(first.stdout).toMatch(/PASS data-validation: Total Discrepancies Found: 0/);
    expect(first.stdout).toMatch(/✅ Migration completed successfully!/);
    // the demo's store holds two users twice (an edit appended): the operator's decision keeps the first of
    // each; the gates count an id once and take the copy PostgreSQL holds as kept, not as a discrepancy
    expect(first.stdout).toMatch(/input duplicate_policy = keep-first, from --var/);
    expect(first.stdout).toMatch(/↷ Not kept, as chosen with --on-duplicate=keep-first: 2 record\(s\) \(users 2\)/);
    expect(first.stdout).toMatch(/PASS counts-match: counts consistent/);
    expect(first.stdout).toMatch(
      /PASS data-validation: Total Discrepancies Found: 0 .*; 2 copies of duplicated ids not kept \(PostgreSQL holds/,
    );
    expect(first.stdout).toMatch(/Not kept \(a copy of a duplicated id; PostgreSQL holds another copy exactly\): 2/);

    // runbook.md walks the demo as runbook.yaml does: the same steps, each with the same outcome
    const mdEnv = { ...env, WAYMARK_STATE_DIR: tempDir() };
    const md = cli(
      ['demo', '--runbook', 'runbook.md', '--non-interactive', '--yes', '--var', 'duplicate_policy=keep-first'],
      {
        ...mdEnv,
        WAYMARK_CLOCK_OFFSET: '0s',
      },
    );
    expect(md.code).toBe(first.code);
    const outcomes = (e: NodeJS.ProcessEnv) =>
      JSON.parse(cli(['demo', 'status', '--json'], e).stdout).phases.map(
        (p: { id: string; status: string; steps: Array<{ id: string; status: string }> }) =>
          `${p.id} ${p.status}: ${p.steps.map((x) => `${x.id}=${x.status}`).join(' ')}`,
      );
    expect(outcomes(mdEnv)).toEqual(outcomes(env));
    expect(outcomes(env).join('\n')).toMatch(/phase-4-switch-reads signed-off/);
    const stepsOf = (e: NodeJS.ProcessEnv, out: string) => {
      expect(cli(['demo', 'report', '--phase', 'phase-2-migrate', '--format', 'json', '--out', out], e).code).toBe(0);
      const body = JSON.parse(readFileSync(out, 'utf8')).body;
      return {
        file: body.runbook.file,
        steps: body.phases[0].steps.map((x: { id: string; status: string }) => `${x.id}=${x.status}`),
      };
    };
    const [fromMd, fromYaml] = [stepsOf(mdEnv, join(state, 'md.json')), stepsOf(env, join(state, 'yaml.json'))];
    expect(fromMd.steps).toEqual(fromYaml.steps);
    expect([fromMd.file, fromYaml.file]).toEqual(['runbook.md', 'runbook.yaml']);

    // Stopped after the run: no app, no PostgreSQL.
    const ws = join(state, 'demo', 'workspace-staging');
    expect(existsSync(join(ws, 'app.pid'))).toBe(false);
    expect(existsSync(join(state, 'demo', 'workspace', 'app.pid'))).toBe(false);

    // production may not begin while staging is not signed off in full: refused, nothing started for it
    const early = cli(['demo', '--env', 'production', '--non-interactive', '--yes'], env);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(
      /a production run of .* begins only after a staging run of the same runbook \(sha256 [0-9a-f]{12}\) has every phase signed off by keys .*allowed_signers trusts: run [0-9a-f-]{36}: its phase "phase-5-monitor-cleanup" is not signed off/,
    );
    expect(early.stderr).not.toMatch(/again to resume|at .*\.js:\d+/);
    expect(early.stderr).toMatch(/walk staging first: `npm run demo -- --env staging`/);
    expect(JSON.parse(readFileSync(join(state, 'demo', 'demo.json'), 'utf8')).environment).toBe('staging');
    expect(existsSync(join(state, 'demo', 'pg', 'postmaster.pid'))).toBe(false);

    // The next start resumes the same run on the same data, 8 days later.
    const later = cli(['demo', '--non-interactive', '--yes'], { ...env, WAYMARK_CLOCK_OFFSET: '8d' });
    expect(later.stdout).toMatch(/Phase 3: Validate data integrity: already signed off/);
    expect(later.stdout).toMatch(/^\[[\d:]+\] environment: staging$/m);
    expect(later.stdout).toMatch(/stable-24h: passed — waited until/);
    expect(later.stdout).toMatch(/Phase 5: Monitor & cleanup: signed off by demo-tester/);
    expect(later.stdout).toMatch(/rehearsal clock moved from \+0s to \+8d/);
    // the point of no return's phase needs a second person: the run is not complete without them
    expect(later.stdout).toMatch(
      /Phase 5: Monitor & cleanup: awaiting 1 more approval \(another operator: waymark approve --phase phase-5-monitor-cleanup\)/,
    );
    expect(later.code).toBe(1);
    const self = cli(['demo', 'approve', '--phase', 'phase-5-monitor-cleanup'], env);
    expect(self.stdout).toMatch(/^not approved: demo-tester signed "Phase 5: Monitor & cleanup" off/);
    const approved = cli(['demo', 'approve', '--phase', 'phase-5-monitor-cleanup'], {
      ...env,
      WAYMARK_OPERATOR: 'demo-lead',
    });
    expect(approved.stdout).toMatch(/^approved "Phase 5: Monitor & cleanup" as demo-lead .*: 2 of 2 signatures/);
    expect(approved.code).toBe(0);
    // resumed without the variable, it stays a rehearsal on its own clock
    expect(cli(['demo', 'status'], env).stdout).toMatch(/REHEARSAL · clock \+8d/);

    const status = JSON.parse(cli(['demo', 'status', '--json'], env).stdout);
    expect(status.phases.map((p: { status: string }) => p.status)).toEqual(Array(6).fill('signed-off'));
    expect(status).toMatchObject({ rehearsal: true, clockOffset: '8d' });
    const verified = cli(['demo', 'audit', '--verify'], env);
    // the demo's trust file lists the keys of its operators on this machine: the lead's too
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(
      /approval of phase-5-monitor-cleanup by demo-lead \(SHA256:\S+\): signature valid; TRUSTED for "demo-lead"/,
    );
    // the final report: every success criterion met, signed, and it verifies
    const out = join(state, 'final.json');
    expect(cli(['demo', 'report', '--all', '--format', 'json', '--out', out], env).code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.body.success.map((s: { status: string }) => s.status)).toEqual(Array(6).fill('met'));
    // the probe asked the app the whole time, restarts included, and saw no outage
    const zero = report.body.success.find((x: { id: string }) => x.id === 'zero-downtime');
    expect(zero.evidence.join('\n')).toMatch(
      /probe app: [1-9]\d* answers, 0 failed \(100\.00 % available\), longest outage 0\.0 s/,
    );
    expect(report.body.verdict).toMatchObject({ phasesSignedOff: 6, phases: 6, criteriaMet: 6, rehearsal: true });
    expect(report.body.rehearsal).toMatchObject({ offset: '8d' });
    const validation = report.body.phases
      .find((p: { id: string }) => p.id === 'phase-3-validate')
      .steps.find((s: { id: string }) => s.id === 'validate');
    expect(validation.check.metrics.accuracy_pct).toBe(100);
    // the migration's duplicate policy is a decision at its step: --yes took the safe default, and said so
    const migrate = report.body.phases
      .find((p: { id: string }) => p.id === 'phase-2-migrate')
      .steps.find((s: { id: string }) => s.id === 'migrate');
    expect(migrate.action).toMatch(/migrate-json-to-postgres\.js --on-duplicate=keep-first$/);
    expect(migrate.values).toEqual([
      expect.objectContaining({ kind: 'input', name: 'duplicate_policy', value: 'keep-first', by: 'demo-tester' }),
    ]);
    // the backups' names, as the backup steps wrote them: the emergency rollback lists them
    const backups = report.body.phases.find((p: { id: string }) => p.id === 'pre-migration').steps;
    const names = backups.flatMap((s: { values?: Array<{ name: string; value: string }> }) =>
      (s.values ?? []).map((v) => `${v.name}=${v.value}`),
    );
    expect(names).toEqual([
      expect.stringMatching(/^users_file=\/.*\/users\.json\.\d{8}-\d{6}$/),
      expect.stringMatching(/^projects_file=\/.*\/projects\.json\.\d{8}-\d{6}$/),
      expect.stringMatching(/^dump=\/.*\/fluxstudio_staging_\d{8}-\d{6}\.sql$/),
    ]);
    for (const n of names) expect(existsSync(n.slice(n.indexOf('=') + 1))).toBe(true);
    const trust = join(state, 'allowed_signers');
    // the report is trusted only when every sign-off and approval in it is: the lead approved Phase 5
    writeFileSync(trust, cli(['demo', 'key'], env).stdout);
    const short = cli(['verify', out, '--allowed-signers', trust]);
    expect(short.code).toBe(1);
    expect(short.stdout).toMatch(
      /approval of phase-5-monitor-cleanup by demo-lead: NOT TRUSTED — key SHA256:\S+ is not/,
    );
    const lead = cli(['demo', 'key'], { ...env, WAYMARK_OPERATOR: 'demo-lead' }).stdout;
    writeFileSync(trust, cli(['demo', 'key'], env).stdout + lead);
    expect(cli(['verify', out, '--allowed-signers', trust]).code).toBe(0);
    expect(cli(['demo', 'audit', '--verify', '--allowed-signers', trust], env).code).toBe(0);
    const html = join(state, 'final.html');
    expect(cli(['demo', 'report', '--all', '--format', 'html', '--out', html], env).code).toBe(0);
    expect(cli(['verify', html, '--allowed-signers', trust]).stdout).toMatch(/^intact and TRUSTED:/);
    expect(readFileSync(html, 'utf8')).toMatch(/class="watermark">REHEARSAL/);
    const envFile = readFileSync(join(ws, '.env'), 'utf8');
    expect(envFile).toMatch(/^USE_POSTGRES=true$/m);
    expect(envFile).toMatch(/^DUAL_WRITE_ENABLED=false$/m);
    // The demo's database password never reaches the run's files.
    const password = envFile.match(/^DB_PASSWORD=(.*)$/m)![1];
    for (const f of [
      'runs/fluxstudio-postgres-migration-demo-staging.json',
      'runs/fluxstudio-postgres-migration-demo-staging.audit.jsonl',
    ])
      expect(readFileSync(join(state, f), 'utf8')).not.toContain(password);
    expect(later.stdout + first.stdout).not.toContain(password);

    // staging signed off in full (the lead approved Phase 5): production is promoted from it, a run of
    // its own on its own database, workspace and app; staging's are left as they were
    const stagingUsers = readFileSync(join(ws, 'users.json'), 'utf8');
    const prod = cli(['demo', '--env', 'production', '--non-interactive', '--yes', '--phase', 'pre-migration'], env);
    expect(prod.code, prod.stderr).toBe(0);
    const stagingRun = status.runId;
    expect(prod.stdout).toMatch(
      new RegExp(
        `environment: production \\(promoted from staging run ${stagingRun}, every phase signed off by trusted keys\\)`,
      ),
    );
    expect(prod.stdout).toMatch(/fluxstudio_db_\d{8}-\d{6}\.sql/);
    expect(prod.stdout).not.toMatch(/fluxstudio_staging/);
    expect(prod.stdout).toMatch(/Pre-migration checklist: signed off by demo-tester/);
    expect(readFileSync(join(ws, 'users.json'), 'utf8')).toBe(stagingUsers);
    expect(existsSync(join(state, 'runs', 'fluxstudio-postgres-migration-demo-production.json'))).toBe(true);
    // the demo resumes the environment walked last; status and reports are of that run
    const prodStatus = cli(['demo', 'status'], env).stdout;
    expect(prodStatus.split('\n')[1]).toMatch(/^environment: production \(promoted from staging run /);
    const prodReport = join(state, 'production.md');
    expect(cli(['demo', 'report', '--phase', 'pre-migration', '--format', 'md', '--out', prodReport], env).code).toBe(
      0,
    );
    expect(readFileSync(prodReport, 'utf8')).toMatch(
      new RegExp(`\\| Promoted from \\| staging run ${stagingRun} of runbook sha256 [0-9a-f]{64}`),
    );
    expect(cli(['demo', 'status', '--env', 'staging'], env).stdout).toMatch(/^all phases signed off$/m);
  }, 240_000);

  it("the duplicate policy is the operator's: --yes takes fail, which writes nothing; the step asks again", () => {
    const state = tempDir();
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'demo-tester', WAYMARK_CLOCK_OFFSET: '0s' };
    const first = cli(['demo', '--non-interactive', '--yes'], env);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/input duplicate_policy = fail, from its default \(--yes\)/);
    expect(first.stdout).toMatch(/❌ 2 duplicate id\(s\): nothing was written/);
    expect(first.stdout).toMatch(/phase-2-migrate\/migrate: failed/);
    // decided again when the step runs again, now to keep the first copy of each
    const again = cli(['demo', '--non-interactive', '--yes', '--var', 'duplicate_policy=keep-first'], env);
    expect(again.stdout).toMatch(/phase-2-migrate\/migrate: input duplicate_policy = keep-first, from --var/);
    expect(again.stdout).toMatch(/Phase 2: Migrate historical data: signed off by demo-tester/);
    const status = JSON.parse(cli(['demo', 'status', '--json'], env).stdout);
    expect(status.phases.find((p: { id: string }) => p.id === 'phase-2-migrate').status).toBe('signed-off');
  }, 240_000);

  it('--reset starts clean and archives the previous run', () => {
    const state = tempDir();
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'demo-tester' };
    expect(cli(['demo', '--non-interactive', '--yes', '--phase', 'pre-migration'], env).code).toBe(0);
    const r = cli(['demo', '--reset', '--non-interactive', '--phase', 'pre-migration'], env);
    expect(r.stderr).toMatch(/demo reset: database and workspace removed; the previous run was archived/);
    expect(r.stderr).toMatch(/sample data created/);
    expect(r.code).toBe(1); // without --yes the phase runs, then waits for a person to sign it off
    expect(r.stdout).toMatch(/ready for sign-off; sign it off in the TUI, or run again with --yes/);
  }, 120_000);

  it("--shared-state keeps the run in the demo's PostgreSQL; the demo's commands reach it while it is stopped", () => {
    const state = tempDir();
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'demo-tester' };
    const first = cli(['demo', '--shared-state', '--non-interactive', '--yes', '--phase', 'pre-migration'], env);
    expect(first.stderr).toMatch(/the run's state: in the demo's PostgreSQL \(database waymark_state\)/);
    expect(first.stdout).toMatch(/Pre-migration checklist: signed off by demo-tester/);
    expect(existsSync(join(state, 'runs', 'fluxstudio-postgres-migration-demo-staging.json'))).toBe(false);
    // the demo is stopped: its PostgreSQL is started for the command, and stopped after it
    const status = cli(['demo', 'status'], env);
    expect(status.stdout).toMatch(/kept in the state database 127\.0\.0\.1:\d+\/waymark_state/);
    expect(status.stdout).toMatch(/✔ Pre-migration checklist\s+\d+\/\d+ signed-off/);
    expect(existsSync(join(state, 'demo', 'pg', 'postmaster.pid'))).toBe(false);
    expect(cli(['demo', 'audit', '--verify'], env).stdout).toMatch(/^audit log intact: .*waymark_state\)/);
    // remembered: the next start needs no flag
    const again = cli(['demo', '--non-interactive', '--yes', '--phase', 'pre-migration'], env);
    expect(again.stdout).toMatch(/Pre-migration checklist: already signed off/);
    // --reset moves the run into the folder's archive, with its whole log, before the database goes
    const reset = cli(['demo', '--reset', '--non-interactive', '--phase', 'pre-migration'], env);
    expect(reset.stdout).toMatch(/^moved run \w{8} \(\d+ events\) from 127\.0\.0\.1:\d+\/waymark_state/);
    expect(reset.stderr).toMatch(/the previous run was archived to /);
    expect(reset.stderr).not.toMatch(/the run's state: in the demo's PostgreSQL/);
  }, 180_000);
});
