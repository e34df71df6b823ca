import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { reduce, type EngineEvent } from '../../src/phases/engine.js';
import { STATE_SCHEMA, type RunState } from '../../src/state/run-state.js';
import { rollbackPlan } from '../../src/phases/rollback-plan.js';
import { buildPlan, commandLine } from '../../src/phases/plan.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('waymark plan', () => {
  it('shows a run in progress with done steps and the commands as they would run, executes nothing, writes nothing', () => {
    const env = { WAYMARK_STATE_DIR: tempDir(), SMOKE_WORK_DIR: tempDir(), SMOKE_STEP_SECONDS: '0' };
    expect(
      cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes', '--phase', 'prepare'], env).code,
    ).toBe(0);
    const runs = join(env.WAYMARK_STATE_DIR, 'runs');
    const before = Object.fromEntries(readdirSync(runs).map((f) => [f, readFileSync(join(runs, f))]));
    const r = cli(['plan', '--runbook', 'examples/smoke.yaml'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dry run: nothing is executed, nothing is written/);
    expect(r.stdout).toMatch(/Prepare the work folder {2}\[signed-off: signed off by/);
    expect(r.stdout).toMatch(/✔ slow-write \(command\) Write the marker slowly {2}\[passed\]/);
    expect(r.stdout).toMatch(/· slow-again \(command\) Another slow step/);
    expect(r.stdout).toMatch(/sh -c 'sleep 0; echo done'/);
    expect(r.stdout).toMatch(/set SMOKE_DONE=true in .*\.env/);
    expect(r.stdout).toMatch(/gate: token-used \(not-run\)/);
    expect(r.stdout).not.toContain('smoke-secret-token-123');
    const after = Object.fromEntries(readdirSync(runs).map((f) => [f, readFileSync(join(runs, f))]));
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const f of Object.keys(before)) expect(after[f].equals(before[f]), f).toBe(true);
    const json = JSON.parse(
      cli(['plan', '--runbook', 'examples/smoke.yaml', '--json', '--phase', 'finish'], env).stdout,
    );
    expect(json.phases).toHaveLength(1);
    expect(json.phases[0].steps.map((s: { status: string }) => s.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
  });

  it('the seed runbook plan shows waits, the point of no return, masked secrets and rollbacks', () => {
    const lr = loadRunbook('runbook.yaml', { env: { DB_PASSWORD: 'Plan-S3cret!' }, environment: 'production' });
    const s = fresh();
    const plan = buildPlan(lr.runbook, s, lr.redactor, new Date());
    const p5 = plan.find((p) => p.id === 'phase-5-monitor-cleanup')!;
    expect(p5.steps.find((x) => x.id === 'disable-dual-write')!.pointOfNoReturn).toMatch(
      /JSON files stop receiving writes/,
    );
    expect(p5.steps.find((x) => x.id === 'stable-24h')!.waitNote).toMatch(
      /starts counting when "Update environment variable USE_POSTGRES=true \(keep dual-write enabled\)" is done.*cannot be passed early/,
    );
    expect(JSON.stringify(plan)).not.toContain('Plan-S3cret!');
    expect(plan.find((p) => p.id === 'phase-4-switch-reads')!.rollback).toBe('emergency');
  });

  it('writes a command as one would type it: env first, the shell string quoted, a secret with a quote still masked', () => {
    const secret = "it's-S3cret";
    const lr = loadRunbook('runbook.yaml', {
      env: { DB_PASSWORD: secret, DB_HOST: 'db.internal', DB_PORT: '5433' },
      environment: 'production',
    });
    const plan = buildPlan(lr.runbook, fresh(), lr.redactor, new Date());
    const createdb = plan.find((p) => p.id === 'pre-migration')!.steps.find((x) => x.id === 'createdb')!;
    expect(createdb.action).toMatch(
      /^PGHOST=db\.internal PGPORT=5433 PGUSER=postgres PGPASSWORD=\*\*\* sh -c 'createdb fluxstudio_db'$/,
    );
    expect(JSON.stringify(plan)).not.toContain('S3cret');
    const backup = plan.find((p) => p.id === 'pre-migration')!.steps.find((x) => x.id === 'verify-backups')!;
    const signup = plan.find((p) => p.id === 'phase-1-dual-write')!.steps.find((x) => x.action.includes('signup'))!;
    expect(signup.action).toMatch(/"password":"\*\*\*"/);
    expect(backup.action).toMatch(
      /^check backup-users \(file\) · path=.*\/users\.json\.\* · min_bytes=2 · max_age=24h$/,
    );
  });

  it('masks a secret inside an argument before quoting it, so a quote in the secret cannot unmask it', () => {
    const lr = loadRunbook('examples/smoke.yaml', { env: { SMOKE_API_TOKEN: "tok'en-S3cret" } });
    const plan = buildPlan(lr.runbook, fresh(), lr.redactor, new Date());
    const write = plan[0].steps.find((x) => x.id === 'slow-write')!;
    // the token reaches the command through env:, and the env shown is masked too
    expect(write.action).toMatch(/^TOKEN=\*\*\* sh -c '.*echo "written with \$TOKEN"'/);
    expect(write.action).not.toMatch(/S3cret|en-S3/);
    expect(commandLine(['echo', "tok'en-S3cret"], (t) => lr.redactor.redact(t))).toBe('echo ***');
  });
});

const fresh = (): RunState => ({
  schema: STATE_SCHEMA,
  runId: 'r',
  runbookId: 'x',
  runbookVersion: '1',
  runbookHash: 'h',
  partHashes: {},
  fingerprint: 'f',
  target: {},
  createdAt: '',
  updatedAt: '',
  phases: {},
  steps: {},
  checks: {},
  baselines: {},
  seq: 0,
});

describe('rollback worked out from progress', () => {
  const rb = loadRunbook('runbook.yaml', { env: {}, environment: 'production' }).runbook;
  const ctx = { now: new Date('2026-01-01T00:00:00Z'), operator: 'op' };
  /** marks every step of the phases before `upTo` done and signs them off, then starts `upTo` */
  function progressTo(upTo: string | undefined): RunState {
    let s = fresh();
    for (const p of rb.phases) {
      if (p.id === upTo) {
        const r = reduce(
          rb,
          s,
          { type: 'step.skip', scope: p.id, stepId: p.steps[0].id, reason: 'started for the rollback test' },
          ctx,
        );
        if (!r.ok) throw new Error(r.error);
        return r.state;
      }
      for (const st of p.steps) {
        if (st.kind === 'signoff') continue;
        const r = reduce(
          rb,
          s,
          { type: 'step.mark-done', scope: p.id, stepId: st.id, reason: 'done for the rollback test' } as EngineEvent,
          ctx,
        );
        if (!r.ok) throw new Error(r.error);
        s = r.state;
      }
      for (const g of p.gate) {
        const r = reduce(
          rb,
          s,
          { type: 'gate.override', phaseId: p.id, checkId: g, reason: 'overridden for the rollback test' },
          ctx,
        );
        if (!r.ok) throw new Error(r.error);
        s = r.state;
      }
      const r = reduce(rb, s, { type: 'phase.signoff', phaseId: p.id }, ctx);
      if (!r.ok) throw new Error(r.error);
      s = r.state;
    }
    return s;
  }
  it.each([
    ['nothing started', undefined as unknown as string, [] as string[]],
    ['pre-migration started', 'pre-migration', ['revert-dual-write']],
    ['Phase 2 started (nothing to export yet)', 'phase-2-migrate', ['revert-dual-write']],
    ['Phase 4 started (reads switched: export first)', 'phase-4-switch-reads', ['emergency', 'revert-dual-write']],
    ['Phase 5 started', 'phase-5-monitor-cleanup', ['emergency', 'revert-dual-write']],
  ])('%s', (_name, upTo, expected) => {
    const s = upTo ? progressTo(upTo) : fresh();
    expect(rollbackPlan(rb, s).map((i) => i.procedureId)).toEqual(expected);
  });
  it('waymark rollback --plan prints the procedures in order with their steps', () => {
    const env = { WAYMARK_STATE_DIR: tempDir(), SMOKE_WORK_DIR: tempDir() };
    const r = cli(['rollback', '--plan', '--runbook', 'runbook.yaml', '--env', 'production'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Nothing to roll back/);
  });
});

describe('baselines in the run', () => {
  it('a check marked baseline: record keeps its metrics in the state', () => {
    const rb = loadRunbook('runbook.yaml', { env: {}, environment: 'production' }).runbook;
    const result = {
      id: 'json-counts-before',
      type: 'counts',
      status: 'pass' as const,
      summary: 'ok',
      metrics: { json_users: 3 },
      thresholds: {},
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1,
    };
    const r = reduce(rb, fresh(), { type: 'check.result', result }, { now: new Date(), operator: 'op' });
    expect(r.ok && r.state.baselines['json-counts-before']).toMatchObject({ metrics: { json_users: 3 } });
    const failed = reduce(
      rb,
      fresh(),
      { type: 'check.result', result: { ...result, status: 'fail' } },
      { now: new Date(), operator: 'op' },
    );
    expect(failed.ok && failed.state.baselines['json-counts-before']).toBeUndefined();
  });
});
