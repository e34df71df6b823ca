// Things a runbook may do but should not: reported by `waymark validate` as warnings (exit 0;
// --strict makes them errors). A secret written into a command line is visible to every user
// of the machine (ps, /proc/PID/cmdline) for as long as the command runs.
import { visit, type Document, type Node } from 'yaml';
import type { Runbook, Step } from './schema.js';
import { referencedVars, type ResolvedVar, type VarDef } from './template.js';

export interface Warning {
  offset: number | undefined;
  message: string;
  hint: string;
}

/** Vars whose value is a secret or is made from one (a default like postgres://u:${PASS}@h). */
function secretVars(vars: Record<string, ResolvedVar>, defs: Record<string, VarDef>): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const bears = (name: string): boolean => {
    if (out.has(name)) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    const v = vars[name];
    const def = defs[name];
    const made =
      v?.source === 'default' && def?.default !== undefined && referencedVars(String(def.default)).some(bears);
    if (v?.secret || made) out.add(name);
    return out.has(name);
  };
  for (const name of Object.keys(vars)) bears(name);
  return out;
}

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

export function secretsInCommandLines(
  doc: Document,
  rb: Runbook,
  vars: Record<string, ResolvedVar>,
  defs: Record<string, VarDef>,
): Warning[] {
  const secret = secretVars(vars, defs);
  if (!secret.size) return [];
  const warnings: Warning[] = [];
  for (const path of commandLines(rb)) {
    const node = doc.getIn(path, true) as Node | undefined;
    if (!node || typeof node !== 'object') continue;
    visit(node, {
      Scalar(_k, s) {
        if (typeof s.value !== 'string') return;
        for (const name of new Set(referencedVars(s.value).filter((n) => secret.has(n))))
          warnings.push({
            offset: s.range?.[0],
            message:
              `secret var \${${name}} is written into a command line, where any user of the machine ` +
              `can read it (ps)`,
            hint: `pass it through env: (e.g. env: { TOKEN: "\${${name}}" }) and use "$TOKEN" in the command`,
          });
      },
    });
  }
  return warnings;
}
