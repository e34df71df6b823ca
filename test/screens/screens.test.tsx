import { forged } from '../replay-every-log.js';
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTui, KEYS } from './harness.js';
import { tempDir } from '../helpers/tmp.js';

describe('StartScreen', () => {
  it('names the runbook, version, operator, and says Begin for a new run', async () => {
    const t = await openTui();
    expect(t.frame()).toMatch(/TUI test runbook\n(.*\n)?version 3/);
    expect(t.frame()).toMatch(/operator\s+tester/);
    expect(t.frame()).toMatch(/Press Enter to begin/);
    // the key hint fits a new run and a resumed one alike
    expect(t.frame()).toMatch(/Enter continue/);
    expect(t.frame()).not.toMatch(/Enter resume/);
    await t.close();
  });
  it('says Resume, where the operator stopped, and the interrupted step', async () => {
    const state = (await import('../helpers/tmp.js')).tempDir();
    const work = (await import('../helpers/tmp.js')).tempDir();
    const first = await openTui({ state, work });
    first.session.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    first.session.dispatch({ type: 'step.start', scope: 'a', stepId: 'make' });
    // simulate a crash: the state says running, then a new session opens it
    (first.session as unknown as { opts: { readOnly: boolean } }).opts.readOnly = true;
    await first.close();
    const t = await openTui({ state, work });
    expect(t.frame()).toMatch(/Press Enter to Resume/);
    expect(t.frame()).toMatch(/You stopped in: Phase A → Make the marker/);
    expect(t.frame()).toMatch(/"Make the marker" was interrupted: re-run it \(Enter\)/);
    await t.close();
  });
  it('a step left running on another host: said on the start screen; Enter asks how the operator knows it stopped', async () => {
    const { tempDir } = await import('../helpers/tmp.js');
    const { readdirSync, readFileSync, writeFileSync } = await import('node:fs');
    const state = tempDir();
    const work = tempDir();
    const first = await openTui({ state, work });
    first.session.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    await first.close();
    // what a Waymark on host-a left behind when it was killed while the step ran there
    const file = readdirSync(`${state}/runs`).find((f) => f.endsWith('.json'))!;
    const doc = JSON.parse(readFileSync(`${state}/runs/${file}`, 'utf8')) as { steps: Record<string, unknown> };
    doc.steps['a/make'] = {
      status: 'running',
      startedAt: new Date().toISOString(),
      process: { pid: 424242, host: 'host-a' },
    };
    writeFileSync(`${state}/runs/${file}`, JSON.stringify(doc));
    forged.add(state);
    const t = await openTui({ state, work });
    expect(t.frame()).toMatch(/"Make the marker" may still be running on host-a \(process group\s+424242\)/);
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    await t.press(KEYS.enter);
    await t.waitFor(/How do you know it has\W+stopped there\?/);
    expect(t.session.state.steps['a/make'].status).toBe('interrupted');
    await t.type('checked on host-a with ps, it is gone');
    await t.press(KEYS.enter);
    await t.waitFor(/recorded that it has stopped there/);
    expect(t.session.state.steps['a/make'].elsewhere).toBeUndefined();
    await t.press(KEYS.enter);
    await t.waitFor(/made/);
    await t.close();
  });
});

describe('runbook drift on the start screen', () => {
  it('lists the changes; Enter does not skip them; a acknowledges, then Enter resumes', async () => {
    const t = await openTui({
      prepare: (s) => {
        s.dispatch({
          type: 'runbook.drift',
          hash: 'new',
          changed: ['phase:b changed'],
          partHashes: s.state.partHashes!,
        });
      },
    });
    expect(t.frame()).toMatch(/The runbook changed since this run began:/);
    expect(t.frame()).toMatch(/• phase:b changed/);
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/press a to acknowledge them/);
    expect(t.session.state.drift?.acknowledgedAt).toBeUndefined();
    await t.press('a');
    expect(t.session.state.drift?.acknowledgedBy).toBe('tester');
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Phase A/);
    await t.close();
  });
});

describe('steps and the step runner', () => {
  it('Enter opens the phase; a manual step is confirmed; a command runs with its output; a check shows its result', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Phase A/);
    expect(t.frame()).toMatch(/› · Look around\s+\[manual\]/);
    expect(t.frame()).toMatch(/Check the folder is empty\./);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Look around/);
    expect(t.frame()).toMatch(/› · Make the marker/);
    expect(t.frame()).toMatch(/\$ sh -c/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Make the marker\s+\[command · passed\]/);
    expect(existsSync(join(t.work, 'marker'))).toBe(true);
    // the status line says how it ended, with the one duration the run recorded, not "running:"
    const secs = ((t.session.state.steps['a/make'].durationMs ?? -1) / 1000).toFixed(1);
    await t.waitFor(new RegExp(`Make the marker: passed, exit 0 \\(${secs.replace('.', '\\.')} s\\)`));
    expect(t.frame()).not.toMatch(/running: Make the marker/);
    await t.waitFor(/› · Marker check/);
    await t.press(KEYS.enter);
    await t.waitFor(/› · Sign off A/); // the cursor moves on to the next open step
    await t.press(KEYS.up);
    expect(t.frame()).toMatch(/PASS marker: 6 bytes, \d+ s old/);
    expect(t.frame()).toMatch(/thresholds: bytes >= 1/);
    expect(t.frame()).toMatch(/gate: ✔ marker/);
    await t.close();
  });

  it('skip asks for a real reason and records it', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, 's');
    expect(t.frame()).toMatch(/Skip "Look around" — why\?/);
    await t.type('no');
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/at least three words/);
    await t.press(KEYS.backspace, KEYS.backspace);
    await t.type('the folder was checked by hand earlier');
    await t.press(KEYS.enter);
    await t.waitFor(/↷ Look around/);
    expect(t.session.state.steps['a/look']).toMatchObject({
      status: 'skipped',
      reason: 'the folder was checked by hand earlier',
      operator: 'tester',
    });
    await t.close();
  });

  it('sign-off shows what passed and records the statement; overview then shows who signed', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, KEYS.enter);
    await t.waitFor(/✔ Look around/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Make the marker/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Marker check/);
    await t.press('S');
    expect(t.frame()).toMatch(/Sign off: Phase A/);
    expect(t.frame()).toMatch(/Signing as: tester/);
    expect(t.frame()).toMatch(/Steps: 3 passed\s/);
    expect(t.frame()).not.toMatch(/pending/);
    expect(t.frame()).toMatch(/✔ passed\s+marker/);
    expect(t.frame()).toMatch(/› Marker is in place\./);
    await t.press(KEYS.enter);
    await t.waitFor(/Phases/);
    expect(t.frame()).toMatch(/✔ Phase A\s+4\/4\s+signed off .* by tester/);
    expect(t.frame()).toMatch(/g writes its signed report; ↓ Enter opens "Phase B"/);
    expect(t.frame()).toMatch(/⏳ Wait a day: available in 2[34] h \d+ m/);
    await t.press('g');
    await t.waitFor(/Signed report of Phase A/);
    expect(t.reports).toEqual(['a']);
    await t.press(KEYS.esc, KEYS.down, KEYS.enter);
    await t.waitFor(/› · Wait a day/);
    expect(t.frame()).toMatch(/Counting since "Phase A" was signed off; available in 2[34] h \d+ m\./);
    await t.close();
  });

  it('a failed gate can be overridden only with a reason; a destructive step needs its word; the point of no return names itself', async () => {
    let offset = 0;
    const clock = () => new Date(Date.now() + offset);
    const t = await openTui({
      now: clock,
      prepare: async (s) => {
        s.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
        await s.runStep({ type: 'step.start', scope: 'a', stepId: 'make' });
        await s.runStep({ type: 'step.start', scope: 'a', stepId: 'check' });
        s.dispatch({ type: 'phase.signoff', phaseId: 'a' });
        offset = 25 * 3600_000; // a day later
      },
    });
    await t.press(KEYS.enter);
    await t.waitFor(/Phase B/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Wait a day/);
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Destructive step/);
    expect(t.frame()).toMatch(/Type WIPE to go on/);
    await t.type('wipe');
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/type WIPE exactly/);
    await t.press(KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace);
    await t.type('WIPE');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Wipe things/);
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/POINT OF NO RETURN: the switch cannot be flipped back/);
    expect(t.frame()).toMatch(/Type flip to go on/);
    await t.type('flip');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Flip the switch/);
    await t.press('S'); // runs the gate check no step ran, then says why it cannot sign off
    await t.waitFor(/cannot sign off: gate checks not passed: never \(fail\)/);
    expect(t.frame()).toMatch(/o\s+overrides a gate\s+check\s+with\s+a\s+reason/);
    await t.press('o');
    expect(t.frame()).toMatch(/Override gate check "never"/);
    await t.type('accepted: file is created next sprint');
    await t.press(KEYS.enter);
    await t.waitFor(/gate check never overridden/);
    await t.press('S');
    expect(t.frame()).toMatch(/≈ overridden never — tester: accepted: file is created next sprint/);
    await t.close();
  });
});

describe('panels and dialogs', () => {
  it('? lists every key and Esc closes it', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, '?');
    expect(t.frame()).toMatch(/Keys/);
    for (const k of ['Enter', 'Esc', 'R', 'Ctrl-C', 'skip the step']) expect(t.frame()).toContain(k);
    await t.press(KEYS.esc);
    expect(t.frame()).not.toMatch(/Esc closes this help/);
    await t.close();
  });
  it('R opens rollback from the steps screen, and Enter opens a procedure in the step runner', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, KEYS.enter);
    await t.waitFor(/✔ Look around/);
    await t.press('R');
    expect(t.frame()).toMatch(/Rollback procedures/);
    expect(t.frame()).toMatch(/1\. Undo the marker/);
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Rollback: Undo the marker/);
    expect(t.frame()).toMatch(/Remove the marker/);
    // a destructive procedure asks for its word once, when it is entered
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Type UNDO to go on/);
    await t.type('UNDO');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Remove the marker/);
    await t.waitFor(/› · Note the undo/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Note the undo/);
    expect(t.frame()).not.toMatch(/Type UNDO/);
    expect(t.session.state.steps['rollback:undo/rm']).toMatchObject({ status: 'passed', operator: 'tester' });
    await t.close();
  });
  it("a destructive step with no word of its own runs by typing its procedure's word (UNDO)", async () => {
    const t = await openTui({ runbook: 'test/fixtures/undo.yaml' });
    // something to undo: the phase has begun
    await t.press(KEYS.enter, KEYS.enter);
    await t.waitFor(/✔ Look around/);
    await t.press('R', KEYS.enter);
    expect(t.frame()).toMatch(/Rollback: Undo everything/);
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Type UNDO to go on/);
    await t.type('UNDO');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Drop the copy/);
    expect(t.session.state.steps['rollback:undo/drop']).toMatchObject({ status: 'passed' });
    await t.close();
  });
  it('a signed-off phase is closed: s is refused with a sentence; r reopens it with a reason', async () => {
    const t = await openTui({ runbook: 'test/fixtures/undo.yaml' });
    t.session.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    t.session.dispatch({ type: 'phase.signoff', phaseId: 'a', statement: 'Looked around carefully.' });
    await t.session.idle();
    await t.press(KEYS.enter); // resumes on the overview: every phase is signed off
    await t.press(KEYS.enter); // opens Phase A
    await t.press('s');
    await t.waitFor(/"Phase A" is signed off \(by tester at .*\); it is closed — reopen it/);
    expect(t.session.state.steps['a/look'].status).toBe('passed');
    await t.press('r');
    expect(t.frame()).toMatch(/Reopen "Phase A"/);
    await t.type('the look step was done on the wrong host');
    await t.press(KEYS.enter);
    await t.waitFor(/phase reopened/);
    expect(t.session.state.phases.a).toMatchObject({
      status: 'active',
      history: [
        expect.objectContaining({ kind: 'signed-off' }),
        expect.objectContaining({ kind: 'reopened', by: 'tester' }),
      ],
    });
    await t.close();
  });
  it("A on the overview approves another operator's sign-off; the signer's own A is refused", async () => {
    const dir = tempDir();
    const runbook = join(dir, 'four-eyes.yaml');
    writeFileSync(
      runbook,
      readFileSync('test/fixtures/undo.yaml', 'utf8').replace(
        '    rollback: undo\n',
        '    rollback: undo\n    approvals: 2\n',
      ),
    );
    const state = tempDir();
    const { Session } = await import('../../src/phases/session.js');
    const { loadRunbook } = await import('../../src/load/loader.js');
    const alice = new Session(loadRunbook(runbook, { env: {} }), {
      stateDir: state,
      operator: 'alice',
      noProbes: true,
    });
    alice.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    alice.dispatch({ type: 'phase.signoff', phaseId: 'a' });
    await alice.idle();
    expect((await alice.approve('a')).ok).toBe(false);
    await alice.close();
    const t = await openTui({ runbook, state });
    await t.press(KEYS.enter); // resumes in Phase A, signed off and awaiting approval
    await t.waitFor(/✔ signed off · awaiting 1 more approval/);
    await t.press(KEYS.esc); // the overview
    await t.waitFor(/✋ awaiting 1 more approval/);
    await t.press('A');
    await t.waitFor(/approved "Phase A": 2 of 2 signatures/);
    expect(t.frame()).toMatch(/✔ approved by tester/);
    expect(t.frame()).not.toMatch(/awaiting 1 more approval/);
    await t.press('A');
    await t.waitFor(/not approved: tester already approved "Phase A"/);
    await t.close();
  });
  it('c opens the checks panel; Enter re-runs the selected check with its numbers', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, 'c');
    expect(t.frame()).toMatch(/Checks/);
    expect(t.frame()).toMatch(/marker\s+Marker file exists/);
    await t.press(KEYS.enter);
    await t.waitFor(/FAIL not found/);
    await t.press('w');
    expect(t.frame()).toMatch(/watching, every 1s/);
    await t.close();
  });
  it('m shows the monitoring checks with their alert thresholds', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, 'm');
    await t.waitFor(/Monitor — refreshing every 1s/);
    await t.waitFor(/FAIL/);
    expect(t.frame()).toMatch(/alert when marker missing/);
    await t.close();
  });
  it('m draws each availability probe as a timeline: an outage shows as it happens, then in the totals', async () => {
    const { createServer } = await import('node:http');
    let failing = false;
    const server = createServer((_, res) => {
      res.statusCode = failing ? 503 : 200;
      res.end(JSON.stringify({ status: failing ? 'down' : 'ok' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const dir = tempDir();
    const file = join(dir, 'probe.yaml');
    writeFileSync(
      file,
      `id: p\ntitle: Probed\nversion: 1\nprobes:\n  app: { url: 'http://127.0.0.1:${port}/h', expect_json: { status: ok }, interval: 100ms }\nphases:\n  - { id: a, title: A, steps: [{ id: m, kind: manual, title: M }] }\n`,
    );
    const t = await openTui({ runbook: file });
    await t.press(KEYS.enter, 'm');
    await t.waitFor(/Availability, a mark a second/);
    await t.waitFor(/app\s+▁+ up/);
    failing = true;
    await t.waitFor(/█+ DOWN/, 15_000);
    expect(t.frame()).toMatch(/DOWN for \d+\.\d s · \d+ answers, [1-9]\d* failed/);
    failing = false;
    await t.waitFor(/[█▄]▁* up/, 15_000);
    await t.waitFor(/1 outage, longest \d+\.\d s/, 15_000);
    await t.close();
    server.close();
  });
  it('keys that arrive together (fast typing, a paste, a batching SSH link) are each heard, in order', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    const at = () => t.controller.getSnapshot().ui.cursor;
    const before = JSON.stringify(at());
    await t.press('jj');
    const moved = JSON.stringify(at());
    expect(moved).not.toBe(before);
    await t.press('kk');
    expect(JSON.stringify(at())).toBe(before);
    // a reason and its Enter in one chunk: the step is skipped with exactly that reason
    await t.press(KEYS.enter, 's');
    await t.waitFor(/Skip "Make the marker" — why\?/);
    await t.press('not needed on this host\r');
    await t.waitFor(/skipped/);
    expect(t.session.state.steps['a/make']).toMatchObject({ status: 'skipped', reason: 'not needed on this host' });
    await t.close();
  });
  it('t lists symptoms and runs diagnostics in place', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, 't');
    expect(t.frame()).toMatch(/The marker is missing/);
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/Troubleshooting: The marker is missing/);
    expect(t.frame()).toMatch(/fix: Re-run Phase A/);
    // no gate to override, nothing to sign off in a diagnostic
    expect(t.frame()).toMatch(/Enter run · v view · s skip · d mark · x stop/);
    expect(t.frame()).not.toMatch(/o override|S sign/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ List the folder/);
    await t.close();
  });
  it('p shows the plan without running anything', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, 'p');
    expect(t.frame()).toMatch(/Plan \(dry run\)/);
    expect(t.frame()).toMatch(/make \(command\) Make the marker/);
    expect(existsSync(join(t.work, 'marker'))).toBe(false);
    await t.close();
  });
  it('q asks first; n stays; y quits', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, 'q');
    expect(t.frame()).toMatch(/Quit\? y\/n/);
    expect(t.frame()).toMatch(/Everything is saved/);
    await t.press('n');
    expect(t.frame()).not.toMatch(/Quit\? y\/n/);
    await t.press('q', 'y');
    await t.waitFor(/Waymark stopped; the run is saved/);
    expect(t.exits).toEqual([0]);
    await t.close();
  });
  it('q warns when a step is running; Ctrl-C stops it and leaves it interrupted', async () => {
    const t = await openTui({
      prepare: (s) => {
        s.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
      },
    });
    const slow = t.session.dispatch({ type: 'step.start', scope: 'troubleshooting:no-marker', stepId: 'slow' });
    expect(slow.ok).toBe(true);
    await t.press(KEYS.enter, 'q');
    expect(t.frame()).toMatch(/A step is running: quitting stops it/);
    const t0 = Date.now();
    await t.press(KEYS.esc, KEYS.ctrlC);
    await t.waitFor(/Waymark stopped/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(t.exits).toEqual([130]);
    expect(t.session.state.steps['troubleshooting:no-marker/slow'].status).toBe('interrupted');
    await t.close();
  });
  it('q, y while a step runs stops it and exits 130, as Ctrl-C does; the dialog follows the step', async () => {
    const t = await openTui({
      prepare: (s) => {
        s.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
      },
    });
    expect(t.session.dispatch({ type: 'step.start', scope: 'troubleshooting:no-marker', stepId: 'slow' }).ok).toBe(
      true,
    );
    await t.press(KEYS.enter, 'q');
    expect(t.frame()).toMatch(/A step is running: quitting stops it/);
    await t.press('y');
    await t.waitFor(/Waymark stopped/);
    expect(t.exits).toEqual([130]);
    expect(t.session.state.steps['troubleshooting:no-marker/slow'].status).toBe('interrupted');
    await t.close();
    // a step that ends while the dialog is open: the dialog stops saying one runs, and y exits 0
    const u = await openTui({
      prepare: (s) => {
        s.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
      },
    });
    await u.press(KEYS.enter);
    u.session.dispatch({ type: 'step.start', scope: 'a', stepId: 'make' });
    await u.press('q');
    await u.session.idle();
    await u.waitFor(/Everything is saved; the next start resumes here/);
    await u.press('y');
    await u.waitFor(/Waymark stopped/);
    expect(u.exits).toEqual([0]);
    await u.close();
  });
  it('NO_COLOR: no colour is asked for, and statuses still read as words and symbols', async () => {
    const { color } = await import('../../src/screens/theme.js');
    expect(color('green')).toBe('green');
    process.env.NO_COLOR = '1';
    try {
      expect(color('green')).toBeUndefined();
      const t = await openTui();
      await t.press(KEYS.enter);
      expect(t.frame()).toMatch(/› · Look around\s+\[manual\]/);
      await t.press(KEYS.enter);
      await t.waitFor(/✔ Look around\s+\[manual · passed\]/);
      await t.close();
    } finally {
      delete process.env.NO_COLOR;
    }
  });
});

describe('an edit-env step', () => {
  const openEnvStep = async (envFile: string) => {
    const work = tempDir();
    writeFileSync(join(work, 'app.env'), envFile);
    const t = await openTui({ runbook: 'test/fixtures/tui-env.yaml', work });
    await t.press(KEYS.enter);
    await t.waitFor(/Point the app at PostgreSQL/);
    return { t, work, lines: t.frame().split('\n') };
  };
  it('shows the changes first, names the keys already set, masks the secret, and no row overlaps another', async () => {
    const { t, work, lines } = await openEnvStep(
      'DB_HOST=localhost\nDB_PORT=5432\nDB_NAME=app\nDB_USER=app\nDB_PASSWORD=tui-env-pass-123\nNODE_ENV=production\nUSE_POSTGRES=false\nDUAL_WRITE_ENABLED=false\n',
    );
    expect(lines).toContain('Reads stay on JSON; writes go to both.');
    expect(lines).toContain('Enter writes this change (a backup of the file is kept):');
    expect(lines).toContain('- DUAL_WRITE_ENABLED=false');
    expect(lines).toContain('+ DUAL_WRITE_ENABLED=true');
    expect(lines).toContain('  already set: DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, NODE_ENV, USE_POSTGRES');
    expect(t.frame()).toMatch(/edit \/.*\/app\.env/);
    expect(t.frame()).not.toContain('tui-env-pass-123');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Point the app at PostgreSQL/);
    expect(readFileSync(join(work, 'app.env'), 'utf8')).toContain('DUAL_WRITE_ENABLED=true');
    await t.close();
  });
  it('on a file that lacks every key, the rows that fit stay whole (the detail is clipped, not squeezed)', async () => {
    const { t, lines } = await openEnvStep('# empty\n');
    for (const l of [
      'Reads stay on JSON; writes go to both.',
      'Then run the health check.',
      'Enter writes this change (a backup of the file is kept):',
      '+ DB_HOST=localhost',
      '+ DB_PORT=5432',
      '+ DB_NAME=app',
    ])
      expect(lines).toContain(l);
    const diff = lines.filter((l) => l.startsWith('+ '));
    for (const l of diff) expect(l).toMatch(/^\+ [A-Z_]+=\S+$/);
    await t.close();
  });
});

describe('reading a whole step, pasting a reason, the success criteria', () => {
  it('v shows the whole step, scrollable; Esc goes back to the phase', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    await t.press(KEYS.down, 'v');
    await t.waitFor(/^Make the marker$/m);
    expect(t.frame()).toMatch(/\$ sh -c 'mkdir -p "\$0" && echo made && echo ready > "\$0\/marker"'/);
    await t.press(KEYS.esc);
    await t.waitFor(/Look around/);
    await t.close();
  });

  it('a running step shows its output as it comes, under its command', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.yaml');
    writeFileSync(
      file,
      `id: l\ntitle: Live\nversion: 1\nphases:\n  - id: a\n    title: A\n    steps:\n` +
        `      - { id: s, kind: command, title: Talk, run: [sh, -c, 'echo first-line; sleep 30'] }\n`,
    );
    const t = await openTui({ runbook: file });
    await t.press(KEYS.enter);
    await t.waitFor(/Talk/);
    await t.press(KEYS.enter);
    await t.waitFor(/running — x stops it/);
    // the moment the line is in the log, the step's view has it too (not at some later refresh)
    const snap = () => t.controller.getSnapshot();
    for (const t0 = Date.now(); !snap().printed.some((l) => l.text === '  │ first-line'); await t.tick(5))
      if (Date.now() - t0 > 15_000) throw new Error('the line never came');
    expect(snap().stepsView?.detail.map((l) => l.text)).toContain('│ first-line');
    await t.waitFor(/│ first-line/);
    expect(t.frame()).toMatch(/\$ sh -c 'echo first-line; sleep 30'/);
    await t.press('x');
    await t.close();
  });

  it('a reason pasted over several lines is kept whole, one reason, not submitted half-way', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    await t.press(KEYS.down, 's');
    await t.waitFor(/Skip "Make the marker" — why\?/);
    await t.press('the marker is made by the\nnightly job on this host\n');
    expect(t.session.state.steps['a/make']?.status ?? 'pending').toBe('pending');
    const d = t.controller.getSnapshot().ui.dialog as { text: string };
    expect(d.text).toBe('the marker is made by the nightly job on this host');
    await t.press(KEYS.enter);
    await t.waitFor(/skipped/);
    expect(t.session.state.steps['a/make']).toMatchObject({
      status: 'skipped',
      reason: 'the marker is made by the nightly job on this host',
    });
    await t.close();
  });

  it('G lists every success criterion with its status now and the evidence behind it', async () => {
    const t = await openTui({ runbook: 'runbook.yaml', environment: 'staging' });
    await t.press(KEYS.enter);
    await t.waitFor(/Pre-migration|Phase 1/);
    await t.press('G');
    await t.waitFor(/0 of 6 criteria met/);
    expect(t.frame()).toMatch(/Success criteria as of/);
    expect(t.frame()).toMatch(/· not yet {2}All API endpoints working with PostgreSQL/);
    expect(t.frame()).toMatch(/not run in this run/);
    await t.close();
  });
});

describe('terminal size', () => {
  it('redraws to the new width and height when the terminal is resized', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    const widest = () =>
      Math.max(
        ...t
          .frame()
          .split('\n')
          .map((l) => l.length),
      );
    expect(widest()).toBeGreaterThan(80);
    await t.resize(70, 20);
    expect(widest()).toBeLessThanOrEqual(70);
    expect(t.frame().split('\n').length).toBeLessThanOrEqual(20);
    expect(t.frame()).toMatch(/› · Look around/);
    await t.close();
  });
});
