// Inputs at the keyboard: the start asks for what the run needs (a secret masked, never on the
// screen), a step asks for its decision when it is reached (its choices, with what each does),
// the command shown is the one that runs, and a secret given in an earlier session is asked again.
import { describe, it, expect } from 'vitest';
import { openTui, KEYS } from './harness.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = 'tok-4f9a1c77e2';
const RUNBOOK = 'test/fixtures/values.yaml';

describe('inputs in the TUI', () => {
  it('asks at the start, masks a secret, asks a decision at its step, and shows the command as it runs', async () => {
    const state = tempDir();
    const t = await openTui({ runbook: RUNBOOK, state });
    await t.waitFor(/Give: target/);
    expect(t.frame()).toMatch(/Where to write/);
    expect(t.frame()).toMatch(/› stage/);
    await t.press(KEYS.enter);
    await t.waitFor(/Give: token/);
    expect(t.frame()).toMatch(/Secret: never shown or stored; the record says tester gave it\./);
    await t.type(SECRET);
    expect(t.frame()).toMatch(/› •{14}/);
    expect(t.frame()).not.toContain(SECRET);
    await t.press(KEYS.enter);
    await t.waitFor(/token given \(secret: not shown or stored\): recorded/);
    await t.press(KEYS.enter);
    await t.waitFor(/› · Back up/);
    expect(t.frame()).toMatch(/\$ TARGET=stage sh -c/);
    await t.press(KEYS.enter);
    await t.waitFor(/✔ Back up\s+\[command · passed\]/);
    await t.waitFor(/› · Migrate/);
    // the step says what it captured
    await t.press(KEYS.up);
    await t.waitFor(/captured file = \/tmp\/backup-stage\.sql/);
    await t.press(KEYS.down);
    await t.waitFor(/› · Migrate/);
    // the captured file and the masked secret are in the command before it runs
    expect(t.frame()).toMatch(/TOKEN=\*\*\* sh -c/);
    expect(t.frame()).toMatch(/\/tmp\/backup-stage\.sql/);
    await t.press(KEYS.enter);
    await t.waitFor(/Decide: policy/);
    expect(t.frame()).toMatch(/› fail — stop and change nothing/);
    expect(t.frame()).toMatch(/ {2}keep-first — keep the first record of each id/);
    await t.press(KEYS.down, KEYS.enter);
    await t.waitFor(/✔ Migrate\s+\[command · passed\]/);
    await t.press(KEYS.up);
    await t.waitFor(/decided policy = keep-first \(tester\)/);
    await t.press(KEYS.down);
    const st = t.session.state;
    expect(st.inputs?.policy).toMatchObject({ value: 'keep-first', by: 'tester', step: 'a/migrate' });
    expect(st.steps['a/migrate'].outputTail?.map((l) => l.text)).toEqual([
      'policy=--on-duplicate=keep-first file=/tmp/backup-stage.sql token=***',
    ]);
    // run again: decided once (y), then the decision is asked again, the last answer proposed
    await t.press(KEYS.up);
    await t.waitFor(/› ✔ Migrate/);
    await t.press(KEYS.enter);
    await t.waitFor(/Run it again\?/);
    await t.press('y');
    await t.waitFor(/Decide: policy/);
    expect(t.frame()).toMatch(/› keep-first — keep the first record of each id/);
    await t.press(KEYS.up, KEYS.enter);
    await t.waitFor(/Migrate: passed, exit 0/);
    expect(t.frame()).not.toMatch(/Run it again\?/);
    expect(t.session.state.steps['a/migrate'].attempts).toBe(2);
    expect(t.session.state.inputs?.policy).toMatchObject({ value: 'fail', step: 'a/migrate' });
    // the rollback procedure uses the backup this run wrote
    const restore = t.session.runbook.rollback[0].steps[0];
    expect(t.session.commandText(restore, 'rollback:restore')).toBe("echo 'restoring /tmp/backup-stage.sql'");
    await t.close();

    // a new session: the secret was never stored, so it is asked again; the others are not
    const u = await openTui({ runbook: RUNBOOK, state });
    await u.waitFor(/Give: token \(again: never stored\)/);
    await u.type(SECRET);
    await u.press(KEYS.enter);
    await u.waitFor(/token given/);
    expect(u.session.state.inputs?.target).toMatchObject({ value: 'stage' });
    expect(u.session.values.holds('token')).toBe(true);
  });

  it("an input of the run a step needs is asked as such, not as the step's decision", async () => {
    const t = await openTui({ runbook: RUNBOOK });
    await t.waitFor(/Give: target/);
    await t.press(KEYS.esc, KEYS.enter);
    await t.waitFor(/› · Back up/);
    await t.press(KEYS.enter);
    await t.waitFor(/Give: target/);
    expect(t.frame()).not.toMatch(/Decide: target/);
  });

  it('a value its pattern refuses stays in the dialog with the rule; Esc leaves the run unchanged', async () => {
    const t = await openTui({ runbook: RUNBOOK });
    await t.waitFor(/Give: target/);
    for (let i = 0; i < 5; i++) await t.press(KEYS.backspace);
    await t.type('Prod1');
    await t.press(KEYS.enter);
    await t.waitFor(/input "target" must match \/\[a-z\]\+\/, and "Prod1" does not/);
    expect(t.session.state.inputs).toBeUndefined();
    await t.press(KEYS.esc);
    expect(t.frame()).not.toMatch(/Give: target/);
    expect(t.session.state.inputs).toBeUndefined();
  });
});

describe('the environment in the TUI', () => {
  it('is in the header of every screen, before the title', async () => {
    const t = await openTui({ runbook: 'test/fixtures/environments.yaml', environment: 'staging' });
    await t.waitFor(/Waymark · STAGING · Envs/);
    await t.press(KEYS.enter);
    await t.waitFor(/› · Show/);
    expect(t.frame()).toMatch(/Waymark · STAGING · Envs/);
    expect(t.frame()).toMatch(/\$ echo 'target=staging-db env=staging'/);
  });
});
