import { describe, it, expect } from 'vitest';
import { cli, cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { createTestDatabase } from '../helpers/pg.js';

describe('the lock held in the target database', () => {
  it('refuses a second operator with who holds it, and is released by PostgreSQL when the holder dies', async () => {
    const db = await createTestDatabase('lock');
    const common = { DATABASE_URL: db.url, LOCK_TEST_SECONDS: '30' };
    // two laptops: two different state directories, one database
    const alice = cliAsync(['run', '--runbook', 'test/fixtures/locked.yaml', '--non-interactive', '--yes'], {
      ...common,
      WAYMARK_STATE_DIR: tempDir(),
      WAYMARK_OPERATOR: 'alice',
    });
    await alice.waitFor(/\| starting/);
    const bob = cli(['run', '--runbook', 'test/fixtures/locked.yaml', '--non-interactive', '--yes'], {
      ...common,
      WAYMARK_STATE_DIR: tempDir(),
      WAYMARK_OPERATOR: 'bob',
      LOCK_TEST_SECONDS: '0',
    });
    expect(bob.code).toBe(1);
    expect(bob.stderr).toMatch(
      /another Waymark session holds the lock on connection "main": alice@\S+ pid \d+ \(backend pid \d+, connected since /,
    );
    alice.child.kill('SIGKILL');
    await alice.done;
    let again = cli(['run', '--runbook', 'test/fixtures/locked.yaml', '--non-interactive', '--yes'], {
      ...common,
      WAYMARK_STATE_DIR: tempDir(),
      WAYMARK_OPERATOR: 'bob',
      LOCK_TEST_SECONDS: '0',
    });
    for (let i = 0; i < 10 && again.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 300)); // the server notices the closed connection
      again = cli(['run', '--runbook', 'test/fixtures/locked.yaml', '--non-interactive', '--yes'], {
        ...common,
        WAYMARK_STATE_DIR: tempDir(),
        WAYMARK_OPERATOR: 'bob',
        LOCK_TEST_SECONDS: '0',
      });
    }
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    await db.close();
  }, 60_000);

  it('a database that is not reachable yet is a notice, not a failure', () => {
    const r = cli(['run', '--runbook', 'test/fixtures/locked.yaml', '--non-interactive', '--yes', '--phase', 'only'], {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:9/none',
      WAYMARK_STATE_DIR: tempDir(),
      LOCK_TEST_SECONDS: '0',
    });
    expect(r.stdout).toMatch(/notice: the lock in "main" is not held yet/);
    expect(r.stdout).toMatch(/FAIL up: cannot connect/);
    expect(r.code).toBe(1);
  });
});
