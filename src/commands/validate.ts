import { loadRunbook } from '../load/loader.js';
import { InputError, formatProblem } from '../runbook/errors.js';
import type { ParsedArgs } from './args.js';
import { defaultRunbook, out } from './common.js';

export async function validateCommand(a: ParsedArgs): Promise<number> {
  const file = a.positional[0] ?? (a.flags.runbook as string | undefined) ?? defaultRunbook();
  try {
    // one environment when named; else the runbook whole, in none (every environment's steps)
    const environment = (a.flags.env as string | undefined) ?? (process.env.WAYMARK_ENV?.trim() || undefined);
    const lr = loadRunbook(file, { environment, anyEnvironment: !environment });
    const rb = lr.runbook;
    // warnings are errors with --strict (for CI): exit 2, and the runbook is not called valid
    const strict = !!a.flags.strict && lr.warnings.length > 0;
    if (a.flags.json) {
      out(
        JSON.stringify({
          valid: !strict,
          file,
          id: rb.id,
          version: rb.version,
          phases: rb.phases.length,
          checks: Object.keys(rb.checks).length,
          hash: lr.hash,
          warnings: lr.warnings,
        }),
      );
      return strict ? 2 : 0;
    }
    for (const w of lr.warnings) console.error(formatProblem({ ...w, message: `warning: ${w.message}` }));
    if (strict) {
      console.error(
        `${file}: ${lr.warnings.length} warning${lr.warnings.length === 1 ? '' : 's'}, refused with --strict`,
      );
      return 2;
    }
    const steps = rb.phases.reduce((n, p) => n + p.steps.length, 0);
    const warned = lr.warnings.length
      ? ` (${lr.warnings.length} warning${lr.warnings.length === 1 ? '' : 's'} above)`
      : '';
    out(
      `${file}: valid${warned} — "${rb.title}" v${rb.version}: ${rb.phases.length} phases, ${steps} steps, ` +
        `${Object.keys(rb.checks).length} checks, ${rb.rollback.length} rollback procedures` +
        (Object.keys(rb.environments).length
          ? `; ${lr.environment ? `in ${lr.environment}` : `environments ${Object.keys(rb.environments).join(', ')}`}`
          : ''),
    );
    return 0;
  } catch (e) {
    if (a.flags.json && e instanceof InputError) {
      out(JSON.stringify({ valid: false, file, problems: e.problems }));
      return 2;
    }
    throw e;
  }
}
