// Nothing runs that nobody asked for: a step that is done runs again only by a decision, a
// destructive one or a point of no return never from the keyboard, and Esc goes back to where
// the operator came from, never into a procedure.
import { describe, it, expect } from 'vitest';
import { openTui, KEYS } from './harness.js';
import { renderMarkdown } from '../../src/report/render-md.js';
import { buildReport } from '../../src/report/build.js';
import { readAudit } from '../../src/state/audit.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { cli } from '../helpers/cli.js';

describe('re-running a step is a decision', () => {
  it('Enter on a passed step asks first; any key but y cancels; y runs it again, recorded with who confirmed', async () => {
    const t = await openTui();
    await t.press(KEYS.enter, KEYS.enter);
    await t.waitFor(/✔ Look around/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Make the marker\s+\[command · passed\]/);
    await t.waitFor(/› · Marker check/);
    await t.press(KEYS.up, KEYS.enter);
    expect(t.frame()).toMatch(/Run it again\?/);
    expect(t.frame()).toMatch(/Run "Make the marker" again\? It passed at \S+ \(by tester\)\./);
    await t.press('n');
    expect(t.frame()).not.toMatch(/Run it again\?/);
    expect(t.session.state.steps['a/make'].attempts).toBe(1);
    await t.press(KEYS.enter, 'y');
    await t.waitFor(/Make the marker: passed, exit 0/);
    await t.waitFor(/› · Marker check/);
    const st = t.session.state.steps['a/make'];
    expect(st.attempts).toBe(2);
    expect(st.history?.map((a) => [a.operator, a.rerunOf])).toEqual([
      ['tester', undefined],
      ['tester', 'passed'],
    ]);
    // a confirmed manual step asks too
    await t.press(KEYS.up, KEYS.up, KEYS.enter);
    expect(t.frame()).toMatch(/Run "Look around" again\? It passed at/);
    await t.press(KEYS.esc);
    expect(t.session.state.steps['a/look'].history).toHaveLength(1);
    // the report's "by" column names who ran every attempt, the second too
    const s = t.session;
    const body = buildReport(
      {
        runbook: s.runbook,
        runbookHash: s.state.runbookHash,
        state: s.state,
        redactor: s.lr.redactor,
        audit: readAudit(s.paths.audit),
        now: new Date(),
      },
      { phase: 'a' },
    );
    const md = renderMarkdown(
      {
        body,
        signer: { operator: 'x', identity: 'x', keyFingerprint: 'k', publicKey: 'ssh-ed25519 A' },
        auditHead: { seq: 1, hash: 'h' },
      },
      '',
    );
    expect(md).toMatch(
      /\| 2 \| passed \| \S+ \| tester \| run again after it had passed, confirmed by tester · exit 0 \|/,
    );
    await t.close();
  });

  it('a destructive step or a point of no return is never run again from the keyboard', async () => {
    let offset = 0;
    const t = await openTui({
      now: () => new Date(Date.now() + offset),
      prepare: async (s) => {
        s.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
        await s.runStep({ type: 'step.start', scope: 'a', stepId: 'make' });
        await s.runStep({ type: 'step.start', scope: 'a', stepId: 'check' });
        s.dispatch({ type: 'phase.signoff', phaseId: 'a' });
        offset = 25 * 3600_000;
        await s.runStep({ type: 'step.start', scope: 'b', stepId: 'wait' });
        await s.runStep({ type: 'step.start', scope: 'b', stepId: 'wipe', confirmWord: 'WIPE' });
        await s.runStep({ type: 'step.start', scope: 'b', stepId: 'flip', pnrConfirmed: true });
      },
    });
    await t.press(KEYS.enter);
    await t.waitFor(/Phase B/);
    await t.waitFor(/› ✔ Flip the switch/); // every step is done: the cursor rests on the last
    await t.press(KEYS.up, KEYS.enter);
    await t.waitFor(/"Wipe things" passed at \S+ \(by tester\) and is never run again/);
    expect(t.frame()).not.toMatch(/Type WIPE/);
    await t.press(KEYS.down, KEYS.enter);
    await t.waitFor(/"Flip the switch" passed at \S+ \(by tester\) and is never run again/);
    expect(t.session.state.steps['b/flip'].attempts).toBe(1);
    // the engine refuses it too, whatever front end asks
    const r = t.session.dispatch({ type: 'step.start', scope: 'b', stepId: 'flip', pnrConfirmed: true, rerun: true });
    expect(r.ok).toBe(false);
    await t.close();
  });
});

describe('Esc goes back to where the operator came from', () => {
  it('R, Enter, Esc, Esc from a phase lands in that phase again, not inside the procedure', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    await t.press('R', KEYS.enter);
    await t.waitFor(/Rollback: Undo the marker/);
    await t.press(KEYS.esc);
    await t.waitFor(/Rollback procedures/);
    await t.press(KEYS.esc);
    await t.waitFor(/Look around/);
    expect(t.frame()).not.toMatch(/Rollback: Undo the marker/);
    expect(t.frame()).not.toMatch(/Remove the marker/);
    expect(t.controller.getSnapshot().ui.scope).toBe('a');
    await t.close();
  });
});

describe('a rollback is deliberate and visible', () => {
  it('nothing to undo: says so and runs nothing; entered by its typed name, shown everywhere until abandoned', async () => {
    const t = await openTui();
    await t.press(KEYS.enter);
    await t.waitFor(/Phase A/);
    await t.press('R', KEYS.enter);
    await t.waitFor(/Rollback: Undo the marker/);
    await t.press(KEYS.enter);
    await t.waitFor(/nothing in this run needs "Undo the marker" yet/);
    expect(t.frame()).not.toMatch(/Type UNDO/);
    expect(t.session.state.steps['rollback:undo/rm']).toBeUndefined();
    // the phase begins: now there is something to undo
    await t.press(KEYS.esc, KEYS.esc);
    await t.waitFor(/› · Look around/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Look around/);
    await t.press('R', KEYS.enter, KEYS.enter);
    await t.waitFor(/Type UNDO to go on/);
    // what it will change, whole (wrapped, never cut), before the name is typed
    const flat = t.frame().replace(/[│\s]+/g, ' ');
    expect(flat).toMatch(/Start a rollback/);
    expect(flat).toMatch(
      /Start the rollback "Undo the marker": it undoes Phase A, Phase B\. Its steps: 1\. Remove the marker; 2\. Note the undo\./,
    );
    await t.type('UNDO');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Remove the marker/);
    await t.waitFor(/ROLLBACK IN PROGRESS: "Undo the marker", 1 of 2 steps done/);
    // on every screen, the overview too, until it is finished or abandoned
    await t.press(KEYS.esc, KEYS.esc);
    await t.waitFor(/ROLLBACK IN PROGRESS/);
    await t.press(KEYS.esc);
    await t.waitFor(/Phase A/);
    expect(t.frame()).toMatch(/ROLLBACK IN PROGRESS/);
    await t.press('R');
    await t.waitFor(/IN PROGRESS: 1\/2 steps done/);
    await t.press('a');
    await t.waitFor(/Abandon the rollback "Undo the marker" \(1 of 2 steps done\) — why\?/);
    await t.type('the marker is needed after all');
    await t.press(KEYS.enter);
    await t.waitFor(/rollback abandoned/);
    expect(t.frame()).not.toMatch(/ROLLBACK IN PROGRESS/);
    expect(t.frame()).toMatch(/abandoned after 1\/2 steps/);
    expect(t.session.state.abandoned?.undo).toEqual([
      expect.objectContaining({ by: 'tester', reason: 'the marker is needed after all', stepsDone: 1 }),
    ]);
    await t.close();
  });
});

const PNR_RUNBOOK = `id: pnr-test
title: Point of no return
version: 1
vars:
  WORK: { env: TUI_WORK }
phases:
  - id: cut
    title: Cut over
    steps:
      - id: disable
        kind: edit-env
        title: Disable dual-write
        instructions: ${'Read this long instruction twice before you type anything at all. '.repeat(6)}
        file: \${WORK}/.env
        set: { DUAL_WRITE_ENABLED: 'false' }
        point_of_no_return: JSON stops receiving writes
`;

describe('the point of no return is never crossed silently', () => {
  it('the TUI shows the whole change before the typed confirmation, the change before the instructions', async () => {
    const work = tempDir();
    writeFileSync(join(work, '.env'), 'USE_POSTGRES=true\nDUAL_WRITE_ENABLED=true\n');
    const file = join(tempDir(), 'pnr.yaml');
    writeFileSync(file, PNR_RUNBOOK);
    const t = await openTui({ runbook: file, work });
    await t.resize(80, 24);
    await t.press(KEYS.enter);
    await t.waitFor(/Disable dual-write/);
    await t.press(KEYS.enter);
    await t.waitFor(/Type disable to go on/);
    const f = t.frame();
    expect(f).toMatch(/POINT OF NO RETURN: JSON stops receiving writes/);
    expect(f).toMatch(/- DUAL_WRITE_ENABLED=true/);
    expect(f).toMatch(/\+ DUAL_WRITE_ENABLED=false/);
    await t.type('disable');
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Disable dual-write/);
    await t.close();
  });

  it('plain mode prints its own line, and the report shows it in the verdict', async () => {
    const work = tempDir();
    writeFileSync(join(work, '.env'), 'DUAL_WRITE_ENABLED=true\n');
    const file = join(tempDir(), 'pnr.yaml');
    writeFileSync(file, PNR_RUNBOOK);
    const env = { TUI_WORK: work, WAYMARK_STATE_DIR: tempDir(), WAYMARK_OPERATOR: 'alice' };
    const r = cli(['run', '--runbook', file, '--non-interactive', '--yes', '--phase', 'cut'], env);
    expect(r.stdout).toMatch(
      /crossed the point of no return: JSON stops receiving writes \(cut\/disable, confirmed by --yes\)/,
    );
    const out = join(tempDir(), 'r.md');
    expect(cli(['report', '--runbook', file, '--all', '--format', 'md', '--out', out], env).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /\| Point of no return \| CROSSED: JSON stops receiving writes — cut\/disable at \S+, confirmed by --yes \|/,
    );
  });
});

describe('messages', () => {
  it('a refusal that no longer applies disappears on the next change of the run; keys say where they work', async () => {
    const t = await openTui();
    await t.press('S'); // on the start screen
    await t.waitFor(/S \(sign off the phase\) works on a phase's steps, not here/);
    await t.press(KEYS.enter);
    await t.waitFor(/› · Look around/);
    await t.press(KEYS.down, KEYS.enter);
    await t.waitFor(/do "Look around" first \(steps run in order\)/);
    t.session.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    await t.waitFor(/✔ Look around/);
    expect(t.frame()).not.toMatch(/do "Look around" first/);
    await t.press('S');
    await t.waitFor(/cannot sign off: 2 steps are not done: "Make the marker", "Marker check"/);
    await t.close();
  });
});
