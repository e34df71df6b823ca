// A command is judged by what it prints as well as by its exit code: `expect:` patterns must
// each match a line of its output, and a line matching a `fail_on:` pattern fails it. Every
// line is judged as it arrives (not only the tail kept for the record), after secrets are
// masked, and the verdict names the line that decided it.
import type { Step } from '../runbook/schema.js';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The patterns a command step is judged by: expect (and the older expect_output), fail_on. */
export function outputRules(step: Step): { expect: string[]; failOn: string[] } {
  if (step.kind !== 'command') return { expect: [], failOn: [] };
  const s = step;
  return { expect: [...list(s.expect), ...list(s.expect_output)], failOn: list(s.fail_on) };
}

/** One line for screens and plans: what output the step must and must not print. */
export function outputRulesText(step: Step): string | undefined {
  const r = outputRules(step);
  const parts = [...r.expect.map((p) => `expects /${p}/`), ...r.failOn.map((p) => `fails on /${p}/`)];
  return parts.length ? `judged by its output: ${parts.join(' · ')}` : undefined;
}

const MAX_LINE = 160;
const quote = (line: string) => JSON.stringify(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);

export class OutputJudge {
  private readonly expect: Array<{ pattern: string; re: RegExp; line?: string }>;
  private readonly failOn: Array<{ pattern: string; re: RegExp }>;
  private failed?: { pattern: string; line: string };

  constructor(rules: { expect: string[]; failOn: string[] }) {
    this.expect = rules.expect.map((pattern) => ({ pattern, re: new RegExp(pattern) }));
    this.failOn = rules.failOn.map((pattern) => ({ pattern, re: new RegExp(pattern) }));
  }

  get active(): boolean {
    return this.expect.length + this.failOn.length > 0;
  }

  line(text: string): void {
    if (!this.failed) {
      const f = this.failOn.find((r) => r.re.test(text));
      if (f) this.failed = { pattern: f.pattern, line: text };
    }
    for (const e of this.expect) if (e.line === undefined && e.re.test(text)) e.line = text;
  }

  /** ok, and the sentence that says why (undefined when no rule applies) */
  verdict(): { ok: boolean; message?: string } {
    if (this.failed)
      return { ok: false, message: `output matched fail_on /${this.failed.pattern}/: ${quote(this.failed.line)}` };
    const missing = this.expect.find((e) => e.line === undefined);
    if (missing) return { ok: false, message: `no output line matched /${missing.pattern}/` };
    if (!this.expect.length)
      return { ok: true, message: this.failOn.length ? 'no output line matched a fail_on pattern' : undefined };
    return { ok: true, message: `output matched /${this.expect[0].pattern}/: ${quote(this.expect[0].line!)}` };
  }
}
