// The harness closes every TUI it opened when its test ends, even when the test failed before
// it could: a failed assertion must not leave a session's lock, pool or timers behind.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { openTui } from './harness.js';

let lockOfFailedTest: string | undefined;

describe('the screen-test harness', () => {
  it.fails('a test that fails before closing its TUI…', async () => {
    const t = await openTui();
    lockOfFailedTest = t.session.paths.lock;
    expect(existsSync(lockOfFailedTest)).toBe(true);
    throw new Error('failed before t.close()');
  });

  it('…has had its session closed and its lock released all the same', () => {
    expect(lockOfFailedTest).toBeDefined();
    expect(existsSync(lockOfFailedTest!)).toBe(false);
  });
});
