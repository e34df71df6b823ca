import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
// A test file's folders go when the file is done: left behind, a full run added about 700 to /tmp
// (15,000 after a few weeks). One that cannot go (a mount a test left) is left, not a failure.
afterAll(() => {
  for (const d of made.splice(0)) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* left for the machine's own cleaning */
    }
  }
});

export function tempDir(prefix = 'waymark-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  made.push(d);
  return d;
}
