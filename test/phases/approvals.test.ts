// Four-eyes sign-off: a phase with `approvals: 2` is behind the run only when someone other than
// its signer approved, with their own key; one approval per person, whatever the attempts.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook, loadRunbookText } from '../../src/load/loader.js';
import { reduce, type EngineEvent } from '../../src/phases/engine.js';
import { can, currentPhase, phaseBlocker } from '../../src/phases/rules.js';
import { Session } from '../../src/phases/session.js';
import { approvalsInForce, type ApprovalRecord, type RunState } from '../../src/state/run-state.js';
import { notificationsFor } from '../../src/phases/notify.js';
import { T0, freshState } from '../helpers/engine.js';
import { BIN, cli, cliAsync, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { atMostAtOnce } from '../helpers/concurrent.js';

const RB = `id: four-eyes
title: Four eyes
version: 1
phases:
  - id: a
    title: Point of no return
    approvals: 2
    steps:
      - { id: m, kind: manual, title: Do it }
      - { id: so, kind: signoff, title: Sign }
  - id: b
    title: After
    approvals: 3
    distinct_from: operators
    steps:
      - { id: m, kind: manual, title: Tidy }
      - { id: so, kind: signoff, title: Sign B }
  - id: c
    title: Last
    steps:
      - { id: m, kind: manual, title: Close }
`;
const rb = loadRunbookText(RB, '/tmp/four-eyes.yaml', { env: {} }).runbook;

const approval = (by: string, fp = `SHA256:${by}`): ApprovalRecord => ({
  by,
  host: 'h',
  at: T0.toISOString(),
  keyFingerprint: fp,
  armored: '',
  message: '',
});
function apply(events: Array<[EngineEvent, string?]>, s: RunState = freshState()): RunState {
  for (const [e, op] of events) {
    const r = reduce(rb, s, e, { now: T0, operator: op ?? 'alice' });
    if (!r.ok) throw new Error(r.error);
    s = r.state;
  }
  return s;
}
const signedA = (): RunState =>
  apply([[{ type: 'step.confirm', scope: 'a', stepId: 'm' }], [{ type: 'phase.signoff', phaseId: 'a' }]]);
const approve = (s: RunState, by: string, fp?: string) =>
  reduce(rb, s, { type: 'phase.approve', phaseId: 'a', approval: approval(by, fp) }, { now: T0, operator: 'alice' });

describe('approvals: the rules', () => {
  it('the next phase waits for the approval; the signer, a second approval and an unsigned phase are refused', () => {
    expect(approve(freshState(), 'bob')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not signed off yet/),
    });
    const s = signedA();
    expect(phaseBlocker(rb, s, 'b')).toBe(
      '"Point of no return" awaits 1 more approval of its sign-off (another operator: waymark approve --phase a)',
    );
    expect(currentPhase(rb, s)?.id).toBe('a');
    expect(approve(s, 'alice', 'SHA256:other')).toMatchObject({
      ok: false,
      error: 'alice signed "Point of no return" off: an approval must come from someone else',
    });
    const r = approve(s, 'bob');
    expect(r.ok).toBe(true);
    const approved = r.ok ? r.state : s;
    expect(approvalsInForce(approved.phases.a).map((x) => x.by)).toEqual(['bob']);
    expect(phaseBlocker(rb, approved, 'b')).toBeUndefined();
    expect(currentPhase(rb, approved)?.id).toBe('b');
    // the same person again (by name, or by key under another name), or a third: refused
    expect(approve(approved, 'bob', 'SHA256:new')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/bob already approved/),
    });
    expect(approve(approved, 'eve', 'SHA256:bob')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/bob already approved/),
    });
    expect(approve(approved, 'carol')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/already has its 2 signatures/),
    });
    // a reopening voids the sign-off and its approvals: a new sign-off needs a new approval
    const reopened = apply(
      [[{ type: 'phase.reopen', phaseId: 'a', reason: 'found a problem' }], [{ type: 'phase.signoff', phaseId: 'a' }]],
      approved,
    );
    expect(approvalsInForce(reopened.phases.a)).toEqual([]);
    expect(phaseBlocker(rb, reopened, 'b')).toMatch(/awaits 1 more approval/);
    expect(reopened.phases.a.history?.[0].approvals?.map((x) => x.by)).toEqual(['bob']);
  });

  it('distinct_from: operators — nobody who ran a step of the phase approves it', () => {
    const r = approve(signedA(), 'bob');
    const s = apply(
      [
        [{ type: 'step.confirm', scope: 'b', stepId: 'm' }, 'dave'],
        [{ type: 'phase.signoff', phaseId: 'b' }, 'alice'],
      ],
      r.ok ? r.state : freshState(),
    );
    const v = (by: string) => can(rb, s, { type: 'approve', phaseId: 'b', by, keyFingerprint: `SHA256:${by}` }, T0);
    expect(v('dave')).toMatchObject({
      ok: false,
      why: 'dave ran steps of "After": its approval must come from someone who did not',
    });
    expect(v('erin').ok).toBe(true);
  });

  it('a sign-off that needs approvals asks for them in its notification; an approval is told', () => {
    const entry = (event: string, data: unknown) => ({
      seq: 3,
      at: T0.toISOString(),
      operator: 'alice',
      host: 'h',
      event,
      data,
      prev: '',
    });
    // a sign-off is told once it is signed: with its key and the chain head it signed
    const signed = { phaseId: 'a', keyFingerprint: 'SHA256:k', auditHead: { seq: 2, hash: 'h' } };
    const n = notificationsFor(entry('phase.signature', signed), rb, freshState());
    expect(n.map((x) => x.event)).toEqual(['signoff', 'approval-needed']);
    expect(n[1].text).toBe(
      'phase a "Point of no return" needs 1 more approval before the next phase starts: another operator runs ' +
        'waymark approve --phase a',
    );
    const ap = notificationsFor(entry('phase.approve', { phaseId: 'a', approval: approval('bob') }), rb, freshState());
    expect(ap.map((x) => x.text)).toEqual(['bob approved the sign-off of phase a "Point of no return"']);
  });
});

function runbookFile(text = RB): string {
  const file = join(tempDir(), 'four-eyes.yaml');
  writeFileSync(file, text);
  return file;
}

describe('approvals: another operator, another terminal', () => {
  it("bob approves while alice's session is open: it takes his signed approval in; the audit log verifies", async () => {
    const file = runbookFile();
    const state = tempDir();
    const alice = new Session(loadRunbook(file, { env: {} }), { stateDir: state, operator: 'alice', noProbes: true });
    expect(alice.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'm' }).ok).toBe(true);
    expect((await alice.runStep({ type: 'step.start', scope: 'a', stepId: 'so' })).ok).toBe(true);
    await alice.idle(); // the sign-off is signed
    expect(alice.dispatch({ type: 'step.confirm', scope: 'b', stepId: 'm' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/awaits 1 more approval/),
    });
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'bob' };
    // alice cannot approve her own sign-off, from any terminal
    const self = await cliAsync(['approve', '--runbook', file, '--phase', 'a'], { ...env, WAYMARK_OPERATOR: 'alice' })
      .done;
    expect(self.stdout).toMatch(
      /^not approved: alice signed "Point of no return" off: an approval must come from someone else/,
    );
    const bob = await cliAsync(['approve', '--runbook', file, '--phase', 'a'], env).done;
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(
      /^approved "Point of no return" as bob \(key SHA256:\S+\): 2 of 2 signatures \(signed off by alice, approved by bob\)/,
    );
    expect(approvalsInForce(alice.state.phases.a).map((x) => x.by)).toEqual(['bob']);
    expect(alice.dispatch({ type: 'step.confirm', scope: 'b', stepId: 'm' }).ok).toBe(true);
    const again = await cliAsync(['approve', '--runbook', file, '--phase', 'a'], env).done;
    expect(again).toMatchObject({ code: 1, stdout: expect.stringMatching(/^not approved: bob already approved/) });
    await alice.close();
    const verify = cli(['audit', '--runbook', file, '--verify'], env);
    expect(verify.code).toBe(3); // whole; 3: no trust file to say who signed
    expect(verify.stdout).toMatch(/approval of a by bob \(SHA256:\S+\): signature valid/);
  }, 60_000);

  it('200 concurrent approve attempts by two operators leave exactly one approval each', async () => {
    // phase a needs three signatures: alice's sign-off, and one approval each from bob and carol
    const file = runbookFile(RB.replace('    approvals: 2\n', '    approvals: 3\n'));
    const state = tempDir();
    const alice = new Session(loadRunbook(file, { env: {} }), { stateDir: state, operator: 'alice', noProbes: true });
    alice.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'm' });
    await alice.runStep({ type: 'step.start', scope: 'a', stepId: 'so' });
    await alice.close();
    const results = await atMostAtOnce(200, 24, (i) =>
      run(['approve', '--runbook', file, '--phase', 'a'], {
        WAYMARK_STATE_DIR: state,
        WAYMARK_OPERATOR: i % 2 ? 'bob' : 'carol',
      }),
    );
    const ok = results.filter((r) => r.code === 0);
    expect(ok).toHaveLength(2);
    for (const r of results.filter((x) => x.code !== 0))
      expect(r.stdout).toMatch(/^not approved: (bob|carol) already approved/);
    const s = new Session(loadRunbook(file, { env: {} }), { stateDir: state, operator: 'x', readOnly: true });
    expect(
      approvalsInForce(s.state.phases.a)
        .map((x) => x.by)
        .sort(),
    ).toEqual(['bob', 'carol']);
    await s.close();
  }, 240_000);
});

describe("an operator's own key", () => {
  it('is made once when many commands of that operator start at once; its public half matches it', async () => {
    // three rounds of 48 at once: the old way (check, then write) lost the race in most of them
    for (const who of ['frank', 'gina', 'hank']) {
      const state = tempDir();
      const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: who };
      const lines = await Promise.all(Array.from({ length: 48 }, () => run(['key'], env)));
      expect(new Set(lines.map((l) => l.stdout)).size).toBe(1);
      const pub = readFileSync(join(state, 'keys', `${who}_ed25519.pub`), 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
      expect(lines[0].stdout).toContain(pub);
    }
  }, 120_000);
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
