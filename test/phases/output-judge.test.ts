import { describe, it, expect } from 'vitest';
import { OutputJudge, outputRules, outputRulesText } from '../../src/phases/output-judge.js';
import type { Step } from '../../src/runbook/schema.js';

const judge = (expect: string[], failOn: string[], lines: string[]) => {
  const j = new OutputJudge({ expect, failOn });
  for (const l of lines) j.line(l);
  return j.verdict();
};

describe('judging a command by its output', () => {
  it('a line matching fail_on fails it, and the verdict quotes that line', () => {
    const v = judge(
      [],
      ['"status":"(degraded|down)"'],
      ['restarting', 'started: {"status":"degraded","db":"down: connect ECONNREFUSED"}'],
    );
    expect(v).toEqual({
      ok: false,
      message:
        'output matched fail_on /"status":"(degraded|down)"/: "started: {\\"status\\":\\"degraded\\",\\"db\\":\\"down: connect ECONNREFUSED\\"}"',
    });
  });

  it('every expect pattern must match some line; the first one missing is named', () => {
    expect(judge(['created in PostgreSQL', 'created in JSON'], [], ['✅ User created in PostgreSQL'])).toEqual({
      ok: false,
      message: 'no output line matched /created in JSON/',
    });
    expect(
      judge(
        ['created in PostgreSQL', 'created in JSON'],
        [],
        ['✅ User created in JSON', '✅ User created in PostgreSQL'],
      ),
    ).toEqual({
      ok: true,
      message: 'output matched /created in PostgreSQL/: "✅ User created in PostgreSQL"',
    });
  });

  it('fail_on wins over a met expect, and a line far before the tail still counts', () => {
    const lines = [
      'PostgreSQL pool error: terminating connection',
      ...Array.from({ length: 500 }, (_, i) => `line ${i} ok`),
    ];
    expect(judge(['ok'], ['[Ee]rror'], lines)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/pool error: terminating connection/),
    });
  });

  it('a long line is cut in the verdict', () => {
    const v = judge([], ['x'], ['x'.repeat(1000)]);
    expect(v.message!.length).toBeLessThan(220);
  });

  it('the rules of a step in one line, for screens and plans; expect_output counts as an expect', () => {
    const step = {
      id: 's',
      kind: 'command',
      title: 't',
      run: ['x'],
      expect: 'ok',
      expect_output: 'done',
      fail_on: ['err', 'FATAL'],
    } as unknown as Step;
    expect(outputRules(step)).toEqual({ expect: ['ok', 'done'], failOn: ['err', 'FATAL'] });
    expect(outputRulesText(step)).toBe(
      'judged by its output: expects /ok/ · expects /done/ · fails on /err/ · fails on /FATAL/',
    );
    expect(outputRulesText({ id: 'm', kind: 'manual', title: 't' } as Step)).toBeUndefined();
  });
});
