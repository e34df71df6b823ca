// Loads a runbook: YAML with positions → zod → cross-references → templating.
// Every problem is collected and reported at once, each with its file:line:col.
import { readFileSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseDocument, LineCounter, isScalar, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { runbookSchema, type Runbook } from '../runbook/schema.js';
import { InputError, type Problem } from '../runbook/errors.js';
import { referencedVars } from '../runbook/template.js';
import { commandLineValues } from '../runbook/warnings.js';
import { resolveConnection } from '../runbook/connection-sources.js';
import {
  complete,
  displayPath,
  environmentOf,
  sha256,
  MAX_RUNBOOK_BYTES,
  type Compiled,
  type LoadedRunbook,
  type LoadOptions,
} from '../runbook/compiled.js';

import { parseDuration } from '../runbook/duration.js';
import { crossCheck } from './crosscheck.js';
import { isMarkdownFile, markdownDocument } from './markdown.js';

export { parseDuration, sha256, MAX_RUNBOOK_BYTES, type LoadedRunbook, type Compiled, type LoadOptions };
const MAX_ALIASES = 100;

export function loadRunbook(file: string, opts: LoadOptions = {}): LoadedRunbook {
  const shown = opts.displayName ?? displayPath(file);
  const at = (message: string, hint?: string): Problem => ({ file: shown, line: 1, col: 1, message, hint });
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (st.isDirectory())
      throw new InputError([at('is a directory, not a runbook file', 'pass the path of a runbook.yaml')]);
    if (st.size > MAX_RUNBOOK_BYTES)
      throw new InputError([
        at(
          `file is ${st.size} bytes; runbooks are limited to ${MAX_RUNBOOK_BYTES} bytes`,
          'split it or remove embedded data',
        ),
      ]);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (code ?? (e as Error).message);
    throw new InputError([at(`cannot read the runbook: ${why}`, 'check the path, or pass --runbook FILE')]);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError([at('file is not valid UTF-8', 'save the runbook as UTF-8 text')]);
  }
  return loadRunbookText(text, resolvePath(file), { ...opts, displayName: shown });
}

export function loadRunbookText(text: string, file: string, opts: LoadOptions = {}): LoadedRunbook {
  const shown = opts.displayName ?? displayPath(file);
  const env = opts.env ?? process.env;
  const lc = new LineCounter();
  const problems: Problem[] = [];
  const pos = (offset: number | undefined) => {
    const p = lc.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  const add = (offset: number | undefined, message: string, hint?: string) =>
    problems.push({ file: shown, ...pos(offset), message, hint });
  plainText(text, shown);
  const { doc, raw } = (isMarkdownFile(file) ? parseMarkdown : parseYaml)(text, shown, lc, pos, problems);
  const nodeOffset = (path: PropertyKey[], atKey = false) => offsetIn(doc, path, atKey);
  const parsed = runbookSchema.safeParse(raw);
  if (!parsed.success) schemaProblems(parsed.error.issues, raw, nodeOffset, add);
  const rawObj = raw as Record<string, unknown>;
  const data = parsed.success ? parsed.data : undefined;
  const { envFile, rawConns, referenced } = checkVars(doc, rawObj, data, {
    file,
    env,
    environment: opts.environment,
    nodeOffset,
    add,
  });
  if (parsed.success) crossCheck(parsed.data, nodeOffset, add);
  else {
    // Cross-references are still worth reporting when the schema failed elsewhere;
    // defaults fill what is missing, and anything too broken to follow is skipped.
    try {
      crossCheck(withDefaults(rawObj), nodeOffset, add);
    } catch {
      /* the schema errors already say what is wrong */
    }
  }
  if (problems.length) throw new InputError(problems.sort((a, b) => a.line - b.line || a.col - b.col));

  const partHashes: Record<string, string> = {};
  for (const ph of (rawObj.phases as Array<Record<string, unknown>>) ?? [])
    partHashes[`phase:${String(ph.id)}`] = sha256(JSON.stringify(ph));
  for (const pr of (rawObj.rollback as Array<Record<string, unknown>>) ?? [])
    partHashes[`rollback:${String(pr.id)}`] = sha256(JSON.stringify(pr));
  const compiled: Compiled = {
    data: parsed.data!,
    partHashes,
    envFile,
    rawConnections: rawConns,
    referenced: [...referenced],
    commandValues: commandLineValues(doc, parsed.data!).map((v) => ({ ...pos(v.offset), names: v.names })),
  };
  const lr = complete(compiled, file, text, shown, env, opts.environment, opts.anyEnvironment);
  // complete() gives up only where the checks above have said why
  if (!lr) throw new InputError([{ file: shown, line: 1, col: 1, message: 'the runbook could not be completed' }]);
  compiledOf.set(lr, compiled);
  return lr;
}

/** An empty runbook, or one with control characters (invisible in review; a NUL cuts a command short). */
function plainText(text: string, shown: string): void {
  const problems: Problem[] = [];
  if (text.trim() === '')
    throw new InputError([
      {
        file: shown,
        line: 1,
        col: 1,
        message: 'the runbook is empty',
        hint: 'start from runbook.yaml in the Waymark repository',
      },
    ]);

  // Control characters are invisible on screen and in review; a NUL cuts a command line short.
  for (const m of text.matchAll(CONTROL)) {
    // the line counter fills while the YAML is parsed, which has not happened yet
    const before = text.slice(0, m.index);
    const line = before.split('\n').length;
    problems.push({
      file: shown,
      line,
      col: m.index - before.lastIndexOf('\n'),
      message: `control character ${charName(m[0])} in the runbook`,
      hint: 'remove it: a runbook is plain text (tabs only inside quoted values, newlines)',
    });
  }
  if (problems.length) throw new InputError(problems);
}

/**
 * The YAML parsed (positions counted in `lc`), its aliases expanded within bounds: a mapping, or
 * why not. Its warnings join `problems`, reported with the rest.
 */
/** How a runbook's text is read into a document: YAML, or Markdown (markdown.ts). */
type Parse = (
  text: string,
  shown: string,
  lc: LineCounter,
  pos: (offset: number | undefined) => { line: number; col: number },
  problems: Problem[],
) => { doc: Document; raw: object };

const parseYaml: Parse = (text, shown, lc, pos, problems) => {
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  for (const err of [...doc.errors, ...doc.warnings]) {
    const [message, hint] = yamlMessage(err.code, err.message);
    problems.push({ file: shown, ...pos(err.pos?.[0]), message, hint });
  }
  if (doc.errors.length) throw new InputError(problems);
  return { doc, raw: docToRaw(doc, shown, pos) };
};

/** A Markdown runbook's document (markdown.ts), its line counter filled with the Markdown's lines. */
const parseMarkdown: Parse = (text, shown, lc, pos, problems) => {
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  const md = markdownDocument(text);
  for (const x of md.problems) problems.push({ file: shown, ...pos(x.offset), message: x.message, hint: x.hint });
  if (problems.length) throw new InputError(problems.sort((a, b) => a.line - b.line || a.col - b.col));
  return { doc: md.doc, raw: docToRaw(md.doc, shown, pos) };
};

/** The document as plain data: not too deep, no alias bomb, a mapping at the top. */
function docToRaw(doc: Document, shown: string, pos: (offset: number | undefined) => { line: number; col: number }) {
  const deep = tooDeep(doc.contents);
  if (deep !== undefined)
    throw new InputError([
      {
        file: shown,
        ...pos(deep),
        message: `nested more than ${MAX_DEPTH} levels deep`,
        hint: 'a runbook never needs this much nesting; flatten this part',
      },
    ]);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const msg = (e as Error).message;
    const unresolved = /Unresolved alias[^:]*: (.+)$/.exec(msg);
    if (unresolved) {
      let at: number | undefined;
      visit(doc, { Alias: (_k, n) => void (n.source === unresolved[1] && at === undefined && (at = n.range?.[0])) });
      throw new InputError([
        {
          file: shown,
          ...pos(at),
          message: `alias *${unresolved[1]} names no anchor`,
          hint: `define &${unresolved[1]} on a value before this line, or write the value out`,
        },
      ]);
    }
    if (/alias/i.test(msg))
      throw new InputError([
        {
          file: shown,
          line: 1,
          col: 1,
          message: 'too many YAML aliases (a possible "billion laughs" alias bomb)',
          hint: `write the values out; at most ${MAX_ALIASES} alias expansions are allowed`,
        },
      ]);
    throw new InputError([{ file: shown, line: 1, col: 1, message: `YAML: ${firstLine(msg)}` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError([
      {
        file: shown,
        line: 1,
        col: 1,
        message: 'the runbook must be a YAML mapping with id, title, version and phases',
        hint: 'see runbook.yaml for an example',
      },
    ]);
  return raw;
}

/** Where a path is in the document: the key that is wrong when it exists, else the nearest node. */
function offsetIn(doc: Document, path: PropertyKey[], atKey: boolean): number | undefined {
  if (atKey && path.length) {
    const parent: unknown = doc.getIn(path.slice(0, -1) as (string | number)[], true);
    if (isMapNode(parent)) {
      const k = findKey(parent, path[path.length - 1]);
      if (k !== undefined) return k;
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as Node | undefined;
    if (node && node.range) {
      if (n < path.length && isMapNode(node)) {
        // Point at the key that is wrong when it exists, else at the mapping.
        const key = findKey(node, path[n]);
        if (key !== undefined) return key;
      }
      return node.range[0];
    }
  }
  return 0;
}

/** The schema's complaints, each at the node it is about. */
function schemaProblems(
  issues: z.core.$ZodIssue[],
  raw: unknown,
  nodeOffset: (path: PropertyKey[], atKey?: boolean) => number | undefined,
  add: (offset: number | undefined, message: string, hint?: string) => void,
): void {
  for (const issue of issues) {
    const p = issue.path;
    // An unknown key is reported at the key itself, not at its mapping.
    const at = issue.code === 'unrecognized_keys' ? [...p, issue.keys[0]] : p;
    const atKey = issue.code === 'unrecognized_keys' || issue.code === 'invalid_key';
    const where = issue.code === 'invalid_key' ? p.slice(0, -1) : p;
    const missing = issue.code === 'invalid_union' && valueAt(raw, p) === undefined;
    add(
      nodeOffset(at, atKey),
      `${where.length ? where.join('.') + ': ' : ''}${missing ? 'missing required field' : describeIssue(issue)}`,
      hintForIssue(issue),
    );
  }
}

/** Vars and templating: each ${var} defined (and set when required), none defined by itself, no control character. */
function checkVars(
  doc: Document,
  rawObj: Record<string, unknown>,
  data: Runbook | undefined,
  x: {
    file: string;
    env: NodeJS.ProcessEnv;
    environment?: string;
    nodeOffset: (path: PropertyKey[]) => number | undefined;
    add: (offset: number | undefined, message: string, hint?: string) => void;
  },
) {
  const { file, env, nodeOffset, add } = x;
  const varDefs = (data ? data.vars : (rawObj.vars as Record<string, never>)) ?? {};
  const envFile = typeof rawObj.env_file === 'string' ? rawObj.env_file : '.env';
  // the environment's vars count where it is a valid one (complete() says why when it is not)
  const environments = (data ? data.environments : rawObj.environments) as Runbook['environments'] | undefined;
  const named = x.environment && environments?.[x.environment] ? x.environment : undefined;
  const { envFilePath, vars } = environmentOf(
    { data: { vars: typeof varDefs === 'object' && varDefs ? varDefs : {}, environments } as Runbook, envFile },
    file,
    env,
    named,
  );
  const rawConns =
    rawObj.connections && typeof rawObj.connections === 'object' ? (rawObj.connections as Record<string, unknown>) : {};
  // vars a connection field fell back for follow it (libpq's order, see connection-sources)
  for (const c of Object.values(rawConns))
    if (c && typeof c === 'object')
      Object.assign(vars, resolveConnection(c as Record<string, unknown>, vars, env).derived);
  const referenced = new Set<string>();
  for (const [name, v] of Object.entries(vars))
    if (v.cycle && v.cycle[0] === name)
      add(
        nodeOffset(['vars', name, 'default']),
        `var ${name} refers back to itself: ${v.cycle.join(' → ')}`,
        'give one of these vars a value that does not use the others',
      );
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return;
      const ctl = CONTROL_IN_VALUE.exec(node.value);
      // an escape like "\0" in a quoted value makes one the raw text does not show
      if (ctl)
        add(
          node.range?.[0],
          `control character ${charName(ctl[0])} in a value`,
          'remove the escape; a runbook value is plain text',
        );
      for (const name of referencedVars(node.value)) {
        referenced.add(name);
        const v = vars[name];
        if (!v)
          add(
            node.range?.[0],
            `undefined var \${${name}}`,
            `declare it under vars: (e.g. ${name}: { default: ... }), or write $\${${name}} for a literal`,
          );
        else if (v.value === undefined && (varDefs as Record<string, { required?: boolean }>)[name]?.required)
          add(
            node.range?.[0],
            `var ${name} has no value`,
            `set ${name} in the environment or in ${displayPath(envFilePath)}`,
          );
      }
    },
  });
  return { envFile, rawConns, referenced };
}

/** What a full load compiled, for the cache to keep (runbook-cache.ts). */
export const compiledOf = new WeakMap<LoadedRunbook, Compiled>();

function withDefaults(raw: Record<string, unknown>): Runbook {
  const arr = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const steps = (v: unknown) => arr(v).map((s) => ({ ...obj(s) }));
  const checks = Object.fromEntries(Object.entries(obj(raw.checks)).map(([k, c]) => [k, { params: {}, ...obj(c) }]));
  return {
    ...raw,
    vars: obj(raw.vars),
    connections: obj(raw.connections),
    data: obj(raw.data),
    checks,
    phases: arr(raw.phases).map((p) => ({ ...obj(p), gate: arr(obj(p).gate), steps: steps(obj(p).steps) })),
    rollback: arr(raw.rollback).map((p) => ({ ...obj(p), steps: steps(obj(p).steps) })),
    troubleshooting: arr(raw.troubleshooting).map((t) => ({ ...obj(t), diagnostics: steps(obj(t).diagnostics) })),
    success: arr(raw.success).map((x) => ({ ...obj(x), checks: arr(obj(x).checks), steps: arr(obj(x).steps) })),
    maintenance: Object.fromEntries(Object.entries(obj(raw.maintenance)).map(([k, v]) => [k, steps(v)])),
    monitoring: raw.monitoring ? { interval: '30s', checks: [], alerts: [], ...obj(raw.monitoring) } : undefined,
  } as unknown as Runbook;
}

function isMapNode(node: unknown): node is { items: Array<{ key: unknown }> } {
  return (
    !!node &&
    typeof node === 'object' &&
    Array.isArray((node as { items?: unknown }).items) &&
    (node as { items: unknown[] }).items.every((i) => i && typeof i === 'object' && 'key' in i)
  );
}
function findKey(node: { items: Array<{ key: unknown }> }, key: PropertyKey): number | undefined {
  for (const it of node.items) if (isScalar(it.key) && it.key.value === key) return it.key.range?.[0];
  return undefined;
}
function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}
function firstLine(s: string): string {
  return s.split('\n')[0];
}

// Tab (9), newline (10) and carriage return (13) are text; every other C0 control and DEL is not.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
/** the same, without `g` (a global regex keeps state between exec calls): made once, not per value */
const CONTROL_IN_VALUE = new RegExp(CONTROL.source);
function charName(c: string): string {
  const code = c.charCodeAt(0);
  const names: Record<number, string> = { 0: 'NUL', 7: 'BEL', 8: 'backspace', 27: 'ESC', 127: 'DEL' };
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${names[code] ? ` (${names[code]})` : ''}`;
}

export const MAX_DEPTH = 64;
/** The offset of the first node nested deeper than MAX_DEPTH, found without recursion. */
function tooDeep(root: unknown): number | undefined {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    const items = (node as { items?: unknown[] }).items;
    if (!Array.isArray(items)) continue;
    if (depth > MAX_DEPTH) return (node as Node).range?.[0];
    for (const it of items) {
      if (it && typeof it === 'object' && 'value' in it && 'key' in it)
        stack.push([(it as { value: unknown }).value, depth + 1]);
      else stack.push([it, depth + 1]);
    }
  }
  return undefined;
}

/** The YAML library's messages, said for a runbook author. */
function yamlMessage(code: string, message: string): [string, string | undefined] {
  switch (code) {
    case 'MULTIPLE_DOCS':
      return [
        'a second YAML document starts here; a runbook is one document',
        'remove the "---" line (and what follows it, or move it into another file)',
      ];
    case 'DUPLICATE_KEY':
      return [`YAML: ${firstLine(message)}`, 'each key may appear once in a mapping'];
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return [`YAML: ${firstLine(message)}`, 'check the indentation and the quotes on this line'];
    case 'TAB_AS_INDENT':
      return [`YAML: ${firstLine(message)}`, 'indent with spaces, not tabs'];
    case 'RESOURCE_EXHAUSTION':
      return [
        `nested too deeply to read (more than ${MAX_DEPTH} levels)`,
        'a runbook never needs this much nesting; flatten this part',
      ];
    default:
      return [`YAML: ${firstLine(message)}`, undefined];
  }
}
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && (issue as { discriminator?: string }).discriminator === 'kind')
    return 'unknown step kind; use one of manual, command, check, wait, edit-env, signoff';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `missing required field (expected ${issue.expected})`;
  if (issue.code === 'invalid_key')
    return `invalid name "${String(issue.path[issue.path.length - 1])}": ${issue.issues[0]?.message ?? issue.message}`;
  if (issue.code === 'too_small' && issue.origin === 'array')
    return `needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
  return issue.message;
}
function hintForIssue(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return 'check the spelling; `waymark schema` lists every field';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_key') return 'rename it';
  return undefined;
}
