// `waymark runs`: each run in the state folder, where it stands, and who has it open.
import { describe, it, expect } from 'vitest';
import { hostname } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { Session } from '../../src/phases/session.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('waymark runs', () => {
  it('names who has a run open, says free once they closed it, and names a damaged state file', async () => {
    const state = tempDir();
    const lr = loadRunbook('test/fixtures/undo.yaml', { env: { TUI_WORK: tempDir() } });
    const alice = new Session(lr, { stateDir: state, operator: 'alice', noProbes: true });
    alice.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    const open = cli(['runs'], { WAYMARK_STATE_DIR: state });
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(/^undo-test-\S+\n {4}undo-test v1 · run [0-9a-f]{8} started \S+ · last change \S+\n/);
    expect(open.stdout).toContain(`open by alice on ${hostname()} (pid ${process.pid}) since `);
    const json = JSON.parse(cli(['runs', '--json'], { WAYMARK_STATE_DIR: state }).stdout);
    expect(json.runs).toEqual([
      expect.objectContaining({
        runbook: 'undo-test',
        runId: alice.state.runId,
        heldBy: expect.objectContaining({ operator: 'alice', pid: process.pid, stale: false }),
      }),
    ]);
    await alice.close();
    expect(cli(['runs'], { WAYMARK_STATE_DIR: state }).stdout).toMatch(/0 phase\(s\) signed off · at a · free\n$/);
    writeFileSync(join(state, 'runs', 'other-run.json'), '{"half');
    expect(cli(['runs'], { WAYMARK_STATE_DIR: state }).stdout).toMatch(
      /^other-run: the state file \S+other-run\.json is not readable JSON/m,
    );
  });

  it('says so when there are no runs', () => {
    const state = tempDir();
    mkdirSync(join(state, 'runs'));
    expect(cli(['runs'], { WAYMARK_STATE_DIR: state }).stdout).toBe(`no runs in ${join(state, 'runs')}\n`);
  });
});
