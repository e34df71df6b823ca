// Fails (exit 1) on a function over 80 lines or a file in src over 500 lines: a unit a newcomer
// can read whole. Functions are found with the TypeScript parser (declarations, methods, arrows,
// function expressions, getters, constructors); a function's lines run from its first line to its
// last, nested functions included. `node scripts/size-limits.mjs [ROOT]` (ROOT: a tree with src/).
//
// KNOWN lists the units that were over when the limit came in; it may only shrink: a unit that
// is no longer over and still listed fails too, so the list is kept honest as they are split.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const MAX_FUNCTION = 80;
export const MAX_FILE = 500;

const KNOWN = new Set([]);

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(name) ? [p] : [];
  });
}

function nameOf(node) {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText();
  const p = node.parent;
  const named = p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p));
  return named && p.name ? p.name.getText() : 'a function';
}

/** Every unit over its limit: `{ id, text }`, id being "file" or "file name" (what KNOWN lists). */
export function unitsOver(root) {
  const over = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE) over.push({ id: rel, text: `${rel}: ${lines} lines (a file in src has at most ${MAX_FILE})` });
    const kind = file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const n = sf.getLineAndCharacterOfPosition(node.getEnd()).line - start + 1;
        const name = nameOf(node);
        if (n > MAX_FUNCTION)
          over.push({
            id: `${rel} ${name}`,
            text: `${rel}:${start + 1}: ${name} is ${n} lines (a function has at most ${MAX_FUNCTION})`,
          });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return over;
}

export function check(root, known = KNOWN) {
  const over = unitsOver(root);
  const problems = over.filter((o) => !known.has(o.id)).map((o) => o.text);
  const ids = new Set(over.map((o) => o.id));
  for (const k of known)
    if (!ids.has(k)) problems.push(`${k} is within the limits now: take it off KNOWN in scripts/size-limits.mjs`);
  return { problems, known: over.length - problems.length + [...known].filter((k) => !ids.has(k)).length };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const root = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
  const { problems } = check(root, process.argv[2] ? new Set() : KNOWN);
  if (problems.length) {
    console.error(`size limits: ${problems.length} over\n${problems.map((p) => `  ${p}`).join('\n')}`);
    process.exit(1);
  }
  const left = process.argv[2] ? 0 : KNOWN.size;
  console.log(
    `size limits: no function over ${MAX_FUNCTION} lines, no src file over ${MAX_FILE}` +
      (left ? ` (but the ${left} known ones still to split)` : ''),
  );
}
