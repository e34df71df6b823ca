import { loadRunbook } from '../runbook/loader.js';
import { InputError } from '../runbook/errors.js';
import { jsonSchema } from '../runbook/schema.js';
import type { ParsedArgs } from './args.js';
import { out } from './common.js';

export async function validateCommand(a: ParsedArgs): Promise<number> {
  const file = a.positional[0] ?? (a.flags.runbook as string | undefined) ?? 'runbook.yaml';
  try {
    const lr = loadRunbook(file);
    const rb = lr.runbook;
    if (a.flags.json) out(JSON.stringify({ valid: true, file, id: rb.id, version: rb.version, phases: rb.phases.length, checks: Object.keys(rb.checks).length, hash: lr.hash }));
    else {
      const steps = rb.phases.reduce((n, p) => n + p.steps.length, 0);
      out(`${file}: valid — "${rb.title}" v${rb.version}: ${rb.phases.length} phases, ${steps} steps, ${Object.keys(rb.checks).length} checks, ${rb.rollback.length} rollback procedures`);
    }
    return 0;
  } catch (e) {
    if (a.flags.json && e instanceof InputError) {
      out(JSON.stringify({ valid: false, file, problems: e.problems }));
      return 2;
    }
    throw e;
  }
}

export async function schemaCommand(): Promise<number> {
  out(JSON.stringify(jsonSchema(), null, 2));
  return 0;
}
