// A second operator follows a run another session holds: read-only, live, without a lock;
// their approval goes to the holder, who takes it in. A state database is never given a run
// nobody asked for.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { Session } from '../../src/phases/session.js';
import { approvalsInForce } from '../../src/state/run-state.js';
import { cli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';

const RB = `id: follow-test
title: Follow test
version: 1
phases:
  - id: a
    title: Four eyes
    approvals: 2
    steps:
      - { id: m, kind: manual, title: Look }
      - { id: so, kind: signoff, title: Sign }
`;

function runbookFile(): string {
  const file = join(tempDir(), 'follow.yaml');
  writeFileSync(file, RB);
  return file;
}

/** Resolves when the session's state satisfies the condition: a condition, not a time. */
function until(s: Session, ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ok()) return resolve();
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    const off = s.subscribe(() => {
      if (!ok()) return;
      clearTimeout(t);
      off();
      resolve();
    });
  });
}

describe('following a run another session holds', () => {
  it('sees each change live, writes nothing, holds no lock; an approval from there is taken in by the holder', async () => {
    const file = runbookFile();
    const stateDir = tempDir();
    const alice = new Session(loadRunbook(file, { env: {} }), { stateDir, operator: 'alice', noProbes: true });
    const bob = new Session(loadRunbook(file, { env: {} }), {
      stateDir,
      operator: 'bob',
      readOnly: true,
      follow: true,
      noProbes: true,
    });
    const files = () => readdirSync(join(stateDir, 'runs')).sort();
    const before = files();
    expect(alice.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'm' }).ok).toBe(true);
    await until(bob, () => bob.state.steps['a/m']?.status === 'passed', 'the follower to see the step');
    // it changes nothing: the engine refuses, and no file of its own appears
    const r = bob.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'so' });
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/follows the run another session holds/) });
    expect(alice.dispatch({ type: 'phase.signoff', phaseId: 'a', statement: 'looked at it closely' }).ok).toBe(true);
    await until(bob, () => bob.state.phases.a?.status === 'signed-off', 'the follower to see the sign-off');
    const a = await bob.approve('a');
    expect(a).toMatchObject({ ok: true, handedOver: true });
    alice.takeApprovals();
    expect(approvalsInForce(alice.state.phases.a).map((x) => x.by)).toEqual(['bob']);
    await until(bob, () => approvalsInForce(bob.state.phases.a).length === 1, 'the follower to see its approval');
    await bob.close();
    await alice.close();
    // the follower left no lock, state or log line of its own
    expect(files().filter((f) => !before.includes(f) && !f.endsWith('.approvals'))).toEqual([]);
  }, 30_000);
});

describe('a state database without a run of this runbook', () => {
  it('is not given one silently: plain mode says so and exits 2; --new-run starts it', async () => {
    const db = await createTestDatabase('wmnorun');
    const file = runbookFile();
    const env = { WAYMARK_STATE_DIR: tempDir(), WAYMARK_STATE_URL: db.url, WAYMARK_OPERATOR: 'alice' };
    const r = cli(['run', '--runbook', file, '--non-interactive', '--yes'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /there is no run of "Follow test" in the state database 127\.0\.0\.1:\d+\/wmnorun_\w+ yet: check the runbook and the state URL; to start one there, say so with --new-run/,
    );
    expect((await db.query('SELECT count(*)::int AS n FROM waymark.runs')).rows[0].n).toBe(0);
    const ok = cli(['run', '--runbook', file, '--non-interactive', '--yes', '--new-run'], env);
    expect(ok.stdout).toMatch(/Four eyes: signed off by alice/);
    expect((await db.query('SELECT count(*)::int AS n FROM waymark.runs')).rows[0].n).toBe(1);
    // once it is there, no flag is needed
    expect(cli(['run', '--runbook', file, '--non-interactive', '--yes'], env).stderr).not.toMatch(/no run of/);
    expect(existsSync(join(env.WAYMARK_STATE_DIR, 'runs'))).toBe(false);
    await db.close();
  }, 60_000);
});
