// The step's detail as lines: what must always be readable at 80×24, and what gives way.
import { describe, it, expect } from 'vitest';
import { detailLines, fullLines, type StepViewInput } from '../../src/screens/step-view.js';
import { wrap, fitHints } from '../../src/screens/theme.js';
import type { Step } from '../../src/runbook/schema.js';
import type { RunState, StepState } from '../../src/state/run-state.js';

const longCmd = `PGHOST=db.internal PGPORT=5432 sh -c '"/usr/bin/node" "/tmp/waymark-demo-1234567890/examples/fluxstudio/tools/createdb.js" fluxstudio_db --owner flux --template template0'`;
const instructions = Array.from({ length: 12 }, (_, i) => `Instruction line ${i + 1}: do this carefully.`).join('\n');
const input = (over: Partial<StepViewInput> = {}, st: StepState = { status: 'pending' }): StepViewInput => ({
  rb: {
    phases: [],
    rollback: [],
    troubleshooting: [],
    checks: {},
    data: {},
    connections: {},
    success: [],
    maintenance: {},
    probes: {},
    vars: {},
  } as never,
  state: {} as RunState,
  step: {
    id: 's',
    kind: 'command',
    title: 'Create the database',
    run: ['x'],
    instructions,
    fail_on: 'error',
  } as unknown as Step,
  st,
  action: longCmd,
  envDiff: [],
  now: new Date(),
  width: 79,
  ...over,
});
const text = (ls: Array<{ text: string }>) => ls.map((l) => l.text);

describe('a step at 80×24', () => {
  it('the command is shown whole, wrapped, never cut; every line fits the width', () => {
    const out = text(detailLines(input(), 8));
    expect(out.join('').replace(/\s/g, '')).toContain(`$ ${longCmd}`.replace(/\s/g, ''));
    expect(out.every((l) => l.length <= 79)).toBe(true);
    expect(out.join('\n')).not.toContain('…"');
    expect(out).toContain('judged by its output: fails on /error/');
  });

  it('instructions give way first, and say that v shows them all', () => {
    const out = text(detailLines(input(), 8));
    expect(out.length).toBeLessThanOrEqual(8);
    expect(out.some((l) => /^… \d+ more lines: v shows the whole step$/.test(l))).toBe(true);
    expect(text(fullLines(input()))).toContain('Instruction line 12: do this carefully.');
  });

  it('while the step runs, its newest output wins the room', () => {
    const live = Array.from({ length: 30 }, (_, i) => `output ${i + 1}`);
    const out = text(detailLines(input({ live }), 10));
    expect(out).toContain('│ output 30');
    expect(out.filter((l) => l.startsWith('Instruction')).length).toBeLessThanOrEqual(2);
    expect(out.join('\n')).toMatch(/running — x stops it/);
  });

  it('a finished step: its status line first, then the end of its output', () => {
    const tail = Array.from({ length: 20 }, (_, i) => ({ at: '', stream: 'stdout' as const, text: `line ${i + 1}` }));
    const out = text(
      detailLines(
        input(
          {},
          {
            status: 'failed',
            exitCode: 0,
            durationMs: 1300,
            message: 'output matched fail_on /error/: "error: x"',
            outputTail: tail,
          },
        ),
        12,
      ),
    );
    expect(out.find((l) => l.startsWith('failed'))).toMatch(/^failed · exit 0 · 1\.3 s · output matched fail_on/);
    expect(out).toContain('│ line 20');
  });
});

describe('text helpers', () => {
  it('wrap breaks at spaces, and inside a word only when it must', () => {
    expect(wrap('aaa bbb ccc', 8)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('x'.repeat(20), 8)).toEqual(['xxxxxxxx', 'xxxxxxxx', 'xxxx']);
  });
  it('fitHints keeps whole hints in priority order, ? help first', () => {
    const h = fitHints(
      [
        '? help',
        'Enter run',
        'v view',
        's skip',
        'd mark',
        'o override',
        'S sign',
        'x stop',
        'r reopen',
        'q quit',
        'Esc back',
        'R rollback',
      ],
      60,
    );
    expect(h.startsWith('? help · Enter run')).toBe(true);
    expect(h.length).toBeLessThanOrEqual(60);
    expect(h).not.toMatch(/…/);
  });
});
