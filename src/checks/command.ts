import { z } from 'zod';
import { type CheckOutcome, defineCheck } from './types.js';

export const commandCheck = defineCheck({
  type: 'command',
  description: 'Runs a command; passes when it exits as expected and its output matches',
  params: z
    .object({
      run: z.array(z.string()).min(1),
      cwd: z.string().optional(),
      env: z.record(z.string(), z.string()).optional(),
      expect_exit: z.number().int().default(0),
      expect_output: z.string().optional(),
    })
    .strict(),
  async run(p, ctx): Promise<CheckOutcome> {
    const { runProcess } = await import('../process/run.js');
    const lines: string[] = [];
    const r = await runProcess({
      argv: p.run,
      cwd: p.cwd ?? ctx.baseDir,
      env: p.env,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      onLine: (l) => lines.push(l.text),
    });
    const out = ctx.redactor.redact(lines.join('\n'));
    const exitOk = r.exitCode === p.expect_exit;
    const outOk = p.expect_output ? new RegExp(p.expect_output, 'm').test(out) : true;
    const tail = out.split('\n').slice(-10);
    return {
      status: r.timedOut ? 'error' : exitOk && outOk ? 'pass' : 'fail',
      summary: r.timedOut
        ? `timed out after ${ctx.timeoutMs} ms`
        : !exitOk
          ? `exited ${r.exitCode ?? r.signal}, expected ${p.expect_exit}`
          : !outOk
            ? `output does not match /${p.expect_output}/`
            : `exited ${r.exitCode}${p.expect_output ? `, output matches /${p.expect_output}/` : ''}`,
      metrics: { exit_code: r.exitCode, duration_ms: r.durationMs },
      thresholds: {
        exit_code: `= ${p.expect_exit}`,
        ...(p.expect_output ? { output: `matches /${p.expect_output}/` } : {}),
      },
      evidence: [{ columns: ['output (last lines)'], rows: tail.map((l) => [l]) }],
    };
  },
});
