// Things a runbook may do but should not: reported by `waymark validate` as warnings (exit 0;
// --strict makes them errors). A secret written into a command line is visible to every user
// of the machine (ps, /proc/PID/cmdline) for as long as the command runs.
import { visit, type Document, type Node } from 'yaml';
import type { Runbook, Step } from './schema.js';
import { referencedVars } from './template.js';

/** Paths (in the YAML) of every command line: command steps' run, command checks' params.run. */
function commandLines(rb: Runbook): Array<Array<string | number>> {
  const paths: Array<Array<string | number>> = [];
  const steps = (list: Step[], base: Array<string | number>) =>
    list.forEach((s, i) => s.kind === 'command' && paths.push([...base, i, 'run']));
  rb.phases.forEach((p, i) => steps(p.steps, ['phases', i, 'steps']));
  rb.rollback.forEach((p, i) => steps(p.steps, ['rollback', i, 'steps']));
  rb.troubleshooting.forEach((t, i) => steps(t.diagnostics, ['troubleshooting', i, 'diagnostics']));
  for (const [name, list] of Object.entries(rb.maintenance)) steps(list, ['maintenance', name]);
  for (const [id, c] of Object.entries(rb.checks))
    if (c.type === 'command') paths.push(['checks', id, 'params', 'run']);
  return paths;
}

/**
 * Every value on a command line with the vars it names: where a secret one is, the runbook
 * writes a secret where any user of the machine can read it. Which vars are secret the
 * environment decides (compiled.ts), so this only finds the values.
 */
export function commandLineValues(doc: Document, rb: Runbook): Array<{ offset: number | undefined; names: string[] }> {
  const out: Array<{ offset: number | undefined; names: string[] }> = [];
  for (const path of commandLines(rb)) {
    const node = doc.getIn(path, true) as Node | undefined;
    if (!node || typeof node !== 'object') continue;
    visit(node, {
      Scalar(_k, s) {
        if (typeof s.value !== 'string') return;
        const names = [...new Set(referencedVars(s.value))];
        if (names.length) out.push({ offset: s.range?.[0], names });
      },
    });
  }
  return out;
}
