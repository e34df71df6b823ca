// Inputs, decisions and captured values in plain mode: what is missing is said in one sentence,
// a secret never reaches a command line, the state, the audit log or a report, a decision and a
// captured value are recorded with who and when, and a later step uses the value captured.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const RUNBOOK = resolve('test/fixtures/values.yaml');
const SECRET = 'tok-4f9a1c77e2';

/** Every file under a folder, as text. */
function everything(dir: string): string {
  let all = '';
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = join(dir, f);
    if (statSync(p).isFile()) all += readFileSync(p, 'utf8');
  }
  return all;
}

const run = (state: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  cli(['run', '--non-interactive', '--runbook', RUNBOOK, '--state-dir', state, ...args], {
    WAYMARK_OPERATOR: 'alice',
    VALUES_TOKEN: '',
    ...env,
  });

describe('inputs in plain mode', () => {
  it('a missing input stops the run before any step, in one sentence naming how to give it (exit 2)', () => {
    const state = tempDir();
    const r = run(state, []);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /the run needs inputs target \(default stage, taken by --yes\): give --var target=VALUE or set TARGET; token: set VALUES_TOKEN in the environment \(a secret is never given on the command line\)/,
    );
    expect(r.stdout).not.toMatch(/▶/);
  });

  it('--var never takes a secret, nor a name the runbook does not declare', () => {
    const state = tempDir();
    const secret = run(state, ['--var', `token=${SECRET}`]);
    expect(secret.code).toBe(2);
    expect(secret.stdout).toMatch(/--var token: "token" is secret, and a command line is read by every user/);
    const unknown = run(state, ['--var', 'colour=red']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toMatch(
      /--var colour: the runbook has no input "colour" \(its inputs: target, policy, token\)/,
    );
    const bad = run(state, ['--var', 'target']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--var takes NAME=VALUE/);
  });

  it('a value outside its choices or pattern is refused with the rule it breaks', () => {
    const r = run(tempDir(), ['--var', 'target=Prod1'], { VALUES_TOKEN: SECRET });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/input "target" must match \/\[a-z\]\+\/, and "Prod1" does not \(from --var\)/);
  });

  it('a walk: the decision asked at its step, the value captured and used, the secret nowhere', () => {
    const state = tempDir();
    const first = run(state, ['--yes'], { VALUES_TOKEN: SECRET });
    // the decision is asked when its step is reached, not before: the backup ran first
    expect(first.code).toBe(2);
    expect(first.stdout).toMatch(/a\/backup: passed/);
    expect(first.stdout).toMatch(
      /a\/migrate: "Migrate" asks for input policy \(fail \| keep-first\): give --var policy=VALUE or set POLICY/,
    );
    const again = run(state, ['--yes', '--var', 'policy=keep-first'], { VALUES_TOKEN: SECRET });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(
      /input target = stage, from its default \(--yes\)|a\/migrate: input policy = keep-first/,
    );
    expect(again.stdout).toMatch(/\$ TOKEN=\*\*\* sh -c .* --on-duplicate=keep-first \/tmp\/backup-stage\.sql/);
    expect(again.stdout).toMatch(/policy=--on-duplicate=keep-first file=\/tmp\/backup-stage\.sql token=\*\*\*/);
    const doc = JSON.parse(
      readFileSync(
        join(
          state,
          'runs',
          readdirSync(join(state, 'runs')).find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    );
    expect(doc.inputs.target).toMatchObject({ value: 'stage', by: 'alice', auto: true });
    expect(doc.inputs.policy).toMatchObject({ value: 'keep-first', by: 'alice', step: 'a/migrate' });
    expect(doc.inputs.token).toEqual({ secret: true, by: 'alice', at: expect.any(String) });
    expect(doc.captured['a/backup'].file).toMatchObject({ value: '/tmp/backup-stage.sql' });
    // the report: the start's inputs in its header, the decision and the capture beside their steps
    const out = join(tempDir(), 'report.md');
    const rep = cli(['report', '--runbook', RUNBOOK, '--state-dir', state, '--format', 'md', '--out', out], {
      WAYMARK_OPERATOR: 'alice',
    });
    expect(rep.code, rep.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/\| Input: target \| stage — given by alice at \S+ \(its default, under --yes\) \|/);
    expect(md).toMatch(/\| Input: token \| secret, not recorded — given by alice at \S+ \|/);
    expect(md).toMatch(/Captured: file = \/tmp\/backup-stage\.sql — captured at /);
    expect(md).toMatch(/Decision: policy = keep-first — given by alice at /);
    // the dry run writes in what the record holds; a secret stays a reference (the record has none)
    const plan = cli(['plan', '--runbook', RUNBOOK, '--state-dir', state]).stdout;
    expect(plan).toMatch(/TOKEN='\$\{inputs\.token\}' sh -c .* --on-duplicate=keep-first \/tmp\/backup-stage\.sql/);
    // nothing under the state folder holds the secret: state, audit log, reports
    expect(everything(state)).not.toContain(SECRET);
    expect(md).not.toContain(SECRET);
    // a run keeps the inputs it was given at its start (a decision is its step's, asked each time it runs)
    const change = run(state, ['--var', 'target=prod'], { VALUES_TOKEN: SECRET });
    expect(change.code).toBe(2);
    expect(change.stdout).toMatch(/--var target=prod: this run was given target=stage \(by alice at \S+\), and keeps/);
  });
});
