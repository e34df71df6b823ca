// waymark init [--template NAME] [--out FILE]: a small commented runbook to start from, in
// Markdown (or YAML with --out FILE.yaml), for a common shape of change. Never overwrites a file.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { newRunbookFile, out } from './common.js';

/** the package's templates/ (dist/commands and dist/bundle are both two levels below the root) */
const TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
const DEFAULT = 'dual-write-migration';

export function templateNames(): string[] {
  return readdirSync(TEMPLATES)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function initCommand(a: ParsedArgs): Promise<number> {
  const names = templateNames();
  const name = (a.flags.template as string | undefined) ?? DEFAULT;
  if (!names.includes(name)) throw new UsageError(`--template ${name}: the templates are ${names.join(', ')}`);
  const target = newRunbookFile(a);
  const text = readFileSync(join(TEMPLATES, `${name}.md`), 'utf8');
  let written = text;
  if (/\.ya?ml$/i.test(target)) {
    const { markdownDocument } = await import('../load/markdown.js');
    const head = `# From Waymark's template ${name} (waymark init --template ${name})\n`;
    written = head + stringify(markdownDocument(text).doc.toJS(), { lineWidth: 0 });
  }
  writeFileSync(target, written);
  const { loadRunbook } = await import('../load/loader.js');
  const rb = loadRunbook(target, { env: {}, anyEnvironment: true }).runbook;
  const steps = rb.phases.reduce((n, p) => n + p.steps.length, 0);
  out(`wrote ${target} from the template ${name}: "${rb.title}", ${rb.phases.length} phases, ${steps} steps`);
  out(`next: fill in its vars, then \`waymark validate ${target}\`, \`waymark plan\` and \`waymark\` to walk it`);
  out(`other templates: ${names.filter((n) => n !== name).join(', ')} (waymark init --template NAME)`);
  return 0;
}
