// waymark import FILE [--out FILE]: a runbook written for people (Markdown) made into one Waymark
// runs, written as Markdown (runbook.md) or YAML (.yaml); a YAML runbook written as Markdown. It
// never overwrites a file, says what needs a person's attention, and checks what it wrote.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { newRunbookFile, out } from './common.js';

export async function importCommand(a: ParsedArgs): Promise<number> {
  const file = a.positional[0];
  if (!file) throw new UsageError('name the file to import: waymark import RUNBOOK.md [--out runbook.md|runbook.yaml]');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: cannot be read (is the path right?)`);
  }
  const target = newRunbookFile(a);
  const { runbookToMarkdown } = await import('../load/to-markdown.js');
  const toText = (raw: Record<string, unknown>, source?: string) =>
    /\.ya?ml$/i.test(target) ? stringify(raw, { lineWidth: 0 }) : runbookToMarkdown(raw, source);
  let written: string;
  if (/\.ya?ml$/i.test(file)) {
    written = toText(parse(text) as Record<string, unknown>, text);
    writeFileSync(target, written);
    out(`wrote ${target}: ${file} in the ${/\.ya?ml$/i.test(target) ? 'YAML' : 'Markdown'} runbook format`);
  } else {
    const { importMarkdown } = await import('../load/import-markdown.js');
    const name = basename(file, extname(file));
    const r = importMarkdown(text, name);
    written = toText(r.raw);
    writeFileSync(target, written);
    out(summary(file, target, r.raw, r.blocks));
    if (r.notes.length) {
      out("needs a person's attention:");
      for (const n of r.notes) out(`  ${file}:${n.line}: ${n.note}`);
    }
  }
  // what was written is a runbook Waymark runs: checked as `waymark validate` does
  const { loadRunbook } = await import('../load/loader.js');
  const lr = loadRunbook(target, { env: {}, anyEnvironment: true });
  const n = lr.runbook.phases.length;
  out(`${target}: valid (${n} phases); read it, then \`waymark validate ${target}\` and \`waymark plan\``);
  return 0;
}

function summary(
  file: string,
  target: string,
  raw: Record<string, unknown>,
  blocks: { total: number; mapped: number },
): string {
  const phases = raw.phases as Array<{ steps: Array<{ kind: string }> }>;
  const kinds: Record<string, number> = {};
  for (const p of phases) for (const s of p.steps) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
  const count = (k: string, word: string) => (kinds[k] ? [`${kinds[k]} ${word}`] : []);
  const steps = Object.values(kinds).reduce((x, y) => x + y, 0);
  const parts = [
    `${phases.length} phases, ${steps} steps (${[
      ...count('command', 'commands'),
      ...count('check', 'checks'),
      ...count('edit-env', 'env edits'),
      ...count('manual', 'manual'),
      ...count('signoff', 'sign-offs'),
    ].join(', ')})`,
    `${((raw.rollback as unknown[]) ?? []).length} rollback procedures`,
    `${((raw.troubleshooting as unknown[]) ?? []).length} troubleshooting entries`,
  ];
  return (
    `imported ${file} → ${target}: ${parts.join(', ')}; ${blocks.mapped} of ${blocks.total} shell and SQL blocks ` +
    'became steps or checks'
  );
}
