// The rules refuse with facts (a code and what it is about); each front end words them. The plain
// mode and the commands, where no key exists, never name one; the TUI names the key that does what
// the refusal asks for.
import { describe, it, expect } from 'vitest';
import { loadRunbookText } from '../../src/load/loader.js';
import { refusalText, type Refusal, type RefusalCode } from '../../src/phases/wording.js';
import { tuiRefusal } from '../../src/screens/refusal-words.js';
import { KEY_MAP } from '../../src/screens/key-map.js';
import { cli, cliAsync } from '../helpers/cli.js';
import { groupAlive } from '../../src/state/lock.js';
import { tempDir } from '../helpers/tmp.js';

const rb = loadRunbookText(
  `id: w\ntitle: W\nversion: "1"\nphases:\n  - id: a\n    title: A\n    steps:\n      - id: m\n        title: M\n` +
    `        kind: manual\n`,
  '/tmp/runbook.yaml',
).runbook;

const now = new Date('2026-12-06T10:00:00Z');
const wait = { state: 'counting' as const, notBefore: new Date('2026-12-07T10:00:00Z'), after: 'a', now };
const block = {
  kind: 'gate' as const,
  why: 'gate checks not passed: counts (fail) — re-run them or override with a reason',
};

/** One refusal of every code (a Record: a code added to the rules and left out here does not compile). */
const EVERY: Record<RefusalCode, Refusal> = {
  'unknown-step': { code: 'unknown-step', scope: 'a', stepId: 'zz' },
  'unknown-phase': { code: 'unknown-phase', phaseId: 'zz' },
  'unknown-procedure': { code: 'unknown-procedure', procedureId: 'zz' },
  'step-running': { code: 'step-running', title: 'Copy the data' },
  'not-elsewhere': { code: 'not-elsewhere', title: 'Copy the data' },
  'running-elsewhere': { code: 'running-elsewhere', title: 'Copy the data', host: 'host-a', pid: 42 },
  'drift-unacknowledged': { code: 'drift-unacknowledged' },
  'phase-closed': { code: 'phase-closed', title: 'A', by: 'alice', at: '2026-12-06T09:00:00Z' },
  'phase-blocked': { code: 'phase-blocked', title: 'M', blocker: '"A" must be signed off first' },
  'out-of-order': { code: 'out-of-order', before: 'M' },
  'signoff-step': { code: 'signoff-step' },
  'signoff-outside-phase': { code: 'signoff-outside-phase' },
  'wait-forbidden-early': { code: 'wait-forbidden-early', title: 'Wait a day', wait, skip: true },
  'wait-not-skipped': { code: 'wait-not-skipped', title: 'Wait a day', wait },
  'not-a-wait': { code: 'not-a-wait', title: 'M' },
  'wait-already-passed': { code: 'wait-already-passed', title: 'Wait a day' },
  'wait-due': { code: 'wait-due', title: 'Wait a day' },
  'wait-counting': { code: 'wait-counting', title: 'Wait a day', wait },
  'wait-done': { code: 'wait-done', title: 'Wait a day', said: 'passed at 2026-12-06T09:00:00Z' },
  'never-rerun': { code: 'never-rerun', title: 'Drop the JSON', said: 'passed at 2026-12-06T09:00:00Z' },
  'value-not-captured': {
    code: 'value-not-captured',
    title: 'Restore',
    ref: '${steps.backup.file}',
    from: 'a/backup',
    fromTitle: 'Back up',
  },
  'rollback-not-needed': { code: 'rollback-not-needed', title: 'Go back' },
  'rollback-not-in-progress': { code: 'rollback-not-in-progress', title: 'Go back' },
  'not-a-gate-check': { code: 'not-a-gate-check', checkId: 'zz', phase: 'A' },
  'gate-passed': { code: 'gate-passed', checkId: 'counts' },
  'signoff-blocked': { code: 'signoff-blocked', block },
  'approval-not-needed': { code: 'approval-not-needed', title: 'A' },
  'approval-not-signed-off': { code: 'approval-not-signed-off', title: 'A' },
  'approval-twice': { code: 'approval-twice', by: 'bob', title: 'A', at: '2026-12-06T09:00:00Z' },
  'approval-by-signer': { code: 'approval-by-signer', by: 'alice', title: 'A' },
  'approval-by-operator': { code: 'approval-by-operator', by: 'dave', title: 'A' },
  'approvals-complete': { code: 'approvals-complete', title: 'A', approvals: 2 },
  'reopen-not-signed-off': { code: 'reopen-not-signed-off', title: 'A' },
  'reopen-later-first': { code: 'reopen-later-first', later: 'B' },
};

/** A TUI key named as a key: "(x)", "(S)", "o passes", "Enter passes", "r, or waymark …", "press a". */
function namesAKey(text: string): string | undefined {
  const keys = new Set(KEY_MAP.flatMap((b) => b.keys).filter((k) => k.length === 1));
  for (const k of keys) {
    const e = k.replace(/[?]/g, '\\?');
    const as = new RegExp(
      `\\(${e}[,)]|(?:^|[:;,—] |or )${e} (?:passes|stops|skips|marks|overrides|opens|writes|reopens)\\b|press ${e}\\b`,
    );
    if (as.test(text)) return k;
  }
  return /\b(?:Enter|Esc)\b/.test(text) ? 'Enter/Esc' : undefined;
}

describe('refusals: facts from the rules, words from each front end', () => {
  it.each(Object.values(EVERY).map((r) => [r.code, r] as const))('%s: the plain words name no key', (_, r) => {
    const text = refusalText(rb, r);
    expect(text.length).toBeGreaterThan(10);
    expect(namesAKey(text)).toBeUndefined();
  });

  it('the TUI names the key where the refusal says what to do, and words the rest as the plain mode does', () => {
    const tui = Object.fromEntries(Object.values(EVERY).map((r) => [r.code, tuiRefusal(rb, r)]));
    expect(tui['step-running']).toMatch(/stop it first \(x\)/);
    expect(tui['phase-closed']).toMatch(/reopen it \(r, or waymark reopen\)/);
    expect(tui['signoff-step']).toMatch(/signing the phase off \(S\)/);
    expect(tui['wait-not-skipped']).toMatch(/o passes "Wait a day" early/);
    expect(tui['wait-due']).toMatch(/Enter passes it/);
    const keyed = Object.entries(tui)
      .filter(([, t]) => namesAKey(t))
      .map(([c]) => c);
    expect(keyed.sort()).toEqual(['phase-closed', 'signoff-step', 'step-running', 'wait-due', 'wait-not-skipped']);
    for (const r of Object.values(EVERY)) if (!keyed.includes(r.code)) expect(tui[r.code]).toBe(refusalText(rb, r));
  });

  it('the detector finds the keys the TUI words name, so it can fail', () => {
    expect(namesAKey('"Copy" is running; stop it first (x)')).toBe('x');
    expect(namesAKey('a wait is not skipped: o passes "W" early')).toBe('o');
    expect(namesAKey('read the changes above, then press a to acknowledge them')).toBe('a');
    expect(namesAKey('"W" is due: Enter passes it')).toBe('Enter/Esc');
    expect(namesAKey('it will not start twice: wait, or x stops it')).toBe('x');
  });
});

describe('the plain mode and the commands', () => {
  it('name no TUI key in any line they print, refusals and notices included', async () => {
    const env = { WAYMARK_STATE_DIR: tempDir(), WAYMARK_OPERATOR: 'tester' };
    const rbk = ['--runbook', 'examples/smoke.yaml'];
    // a Waymark killed while a step runs leaves it running: the next start says so, and refuses to start it again
    const killed = cliAsync(['run', ...rbk, '--non-interactive', '--yes'], env);
    await killed.waitFor(/\| starting/);
    killed.child.kill('SIGKILL');
    await killed.done;
    const left = cli(['run', ...rbk, '--non-interactive', '--yes'], env);
    expect(left.stdout).toMatch(/notice: "Write the marker slowly" still runs \(process group (\d+)/);
    const pgid = Number(/process group (\d+)/.exec(left.stdout)![1]);
    while (groupAlive(pgid)) await new Promise((r) => setTimeout(r, 100));
    const runs = [
      left,
      cli(['run', ...rbk, '--non-interactive', '--phase', 'finish'], env),
      cli(['run', ...rbk, '--non-interactive'], env),
      cli(['run', ...rbk, '--non-interactive', '--yes'], env),
      cli(['reopen', ...rbk, '--phase', 'prepare', '--reason', 'to see what the refusal says'], env),
      cli(['approve', ...rbk, '--phase', 'prepare'], env),
      cli(['status', ...rbk], env),
      cli(['plan', ...rbk], env),
    ];
    const lines = runs.flatMap((r) => `${r.stdout}\n${r.stderr}`.split('\n')).filter(Boolean);
    expect(lines.join('\n')).toMatch(/must be signed off first/);
    expect(lines.join('\n')).toMatch(/is signed off after it: reopen that first/);
    expect(lines.filter((l) => namesAKey(l))).toEqual([]);
  });
});
