// A second `waymark demo` on the same state folder is refused before it touches anything:
// the first one's PostgreSQL, app and saved ports are left as they were, and it finishes.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('two demos on one state folder', () => {
  it('the second is refused with who runs the first; the first goes on and finishes', async () => {
    const state = tempDir();
    const env = { WAYMARK_STATE_DIR: state, WAYMARK_OPERATOR: 'first', WAYMARK_CLOCK_OFFSET: '0s' };
    const first = cliAsync(['demo', '--non-interactive', '--yes', '--var', 'duplicate_policy=keep-first'], env);
    await first.waitFor(/== Phase 1/, 60_000);
    const ports = readFileSync(join(state, 'demo', 'demo.json'), 'utf8');
    const second = cli(['demo', '--non-interactive', '--yes'], { ...env, WAYMARK_OPERATOR: 'second' });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      /a demo is already running on this state folder: first on .* \(pid \d+\) since .*; in a terminal, `npm run demo -- --operator NAME` follows it as another operator \(read-only, A approves\); to start another, quit it first/,
    );
    expect(second.stderr).not.toMatch(/PostgreSQL \d+ up|at .*\.js:\d+/);
    expect(readFileSync(join(state, 'demo', 'demo.json'), 'utf8')).toBe(ports);
    const r = await first.done;
    // it ran on to the 24 h wait, as a walk alone does: its database was never stopped under it
    expect(r.stdout).toMatch(/Phase 4: Switch to PostgreSQL reads: signed off by first/);
    expect(r.stdout).toMatch(/PASS data-validation: Total Discrepancies Found: 0/);
    expect(r.code).toBe(1);
  }, 180_000);
});
