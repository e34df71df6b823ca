// Loads a runbook: YAML with positions → zod → cross-references → templating.
// Every problem is collected and reported at once, each with its file:line:col.
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve as resolvePath, relative, isAbsolute } from 'node:path';
import { parseDocument, LineCounter, isScalar, visit, type Node } from 'yaml';
import type { z } from 'zod';
import { runbookSchema, type Runbook, type Step } from './schema.js';
import { InputError, type Problem } from './errors.js';
import { referencedVars, resolveVars, readEnvFile, substitute, type ResolvedVar } from './template.js';
import { Redactor } from './redact.js';
import { checkParamsProblems } from '../checks/params.js';
import { parseDuration } from './duration.js';

export { parseDuration };

export const MAX_RUNBOOK_BYTES = 2 * 1024 * 1024;
const MAX_ALIASES = 100;

export interface LoadedRunbook {
  file: string;
  dir: string;
  text: string;
  /** sha256 of the file's bytes: what the run was started with */
  hash: string;
  /** sha256 per phase / procedure, to tell which parts changed (drift) */
  partHashes: Record<string, string>;
  runbook: Runbook;
  vars: Record<string, ResolvedVar>;
  redactor: Redactor;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** the name shown in messages; defaults to the path as given */
  displayName?: string;
}

export function loadRunbook(file: string, opts: LoadOptions = {}): LoadedRunbook {
  const shown = opts.displayName ?? displayPath(file);
  const at = (message: string, hint?: string): Problem => ({ file: shown, line: 1, col: 1, message, hint });
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError([at('is a directory, not a runbook file', 'pass the path of a runbook.yaml')]);
    if (st.size > MAX_RUNBOOK_BYTES)
      throw new InputError([at(`file is ${st.size} bytes; runbooks are limited to ${MAX_RUNBOOK_BYTES} bytes`, 'split it or remove embedded data')]);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (code ?? (e as Error).message);
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

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
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

  if (text.trim() === '') throw new InputError([{ file: shown, line: 1, col: 1, message: 'the runbook is empty', hint: 'start from runbook.yaml in the Waymark repository' }]);

  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  for (const err of [...doc.errors, ...doc.warnings]) {
    problems.push({ file: shown, ...pos(err.pos?.[0]), message: `YAML: ${firstLine(err.message)}`, hint: yamlHint(err.code) });
  }
  if (doc.errors.length) throw new InputError(problems);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias/i.test(msg))
      throw new InputError([{ file: shown, line: 1, col: 1, message: 'too many YAML aliases (a possible "billion laughs" alias bomb)', hint: `write the values out; at most ${MAX_ALIASES} alias expansions are allowed` }]);
    throw new InputError([{ file: shown, line: 1, col: 1, message: `YAML: ${firstLine(msg)}` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError([{ file: shown, line: 1, col: 1, message: 'the runbook must be a YAML mapping with id, title, version and phases', hint: 'see runbook.yaml for an example' }]);

  const nodeOffset = (path: PropertyKey[], atKey = false): number | undefined => {
    if (atKey && path.length) {
      const parent = doc.getIn(path.slice(0, -1) as (string | number)[], true);
      if (isMapNode(parent)) {
        const k = findKey(parent, path[path.length - 1]);
        if (k !== undefined) return k;
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as Node | undefined;
      if (node && (node as Node).range) {
        if (n < path.length && isMapNode(node)) {
          // Point at the key that is wrong when it exists, else at the mapping.
          const key = findKey(node, path[n]);
          if (key !== undefined) return key;
        }
        return (node as Node).range![0];
      }
    }
    return 0;
  };

  const parsed = runbookSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path as PropertyKey[];
      // An unknown key is reported at the key itself, not at its mapping.
      const at = issue.code === 'unrecognized_keys' ? [...p, issue.keys[0]] : p;
      add(nodeOffset(at, issue.code === 'unrecognized_keys'), `${p.length ? p.join('.') + ': ' : ''}${describeIssue(issue)}`, hintForIssue(issue));
    }
  }

  // Vars and templating.
  const rawObj = raw as Record<string, unknown>;
  const varDefs = (parsed.success ? parsed.data.vars : (rawObj.vars as Record<string, never>)) ?? {};
  const dir = dirname(file);
  const envFileName = typeof rawObj.env_file === 'string' ? rawObj.env_file : '.env';
  const builtins = { RUNBOOK_DIR: dir };
  // The env file path may itself use vars from the environment or the builtins.
  const envFilePath = resolvePath(dir, substitute(envFileName, (n) => env[n] ?? (builtins as Record<string, string>)[n]));
  const vars = resolveVars(typeof varDefs === 'object' && varDefs ? varDefs : {}, env, readEnvFile(envFilePath), builtins);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return;
      for (const name of referencedVars(node.value)) {
        const v = vars[name];
        if (!v) add(node.range?.[0], `undefined var \${${name}}`, `declare it under vars: (e.g. ${name}: { default: ... }), or write $\${${name}} for a literal`);
        else if (v.value === undefined && (varDefs as Record<string, { required?: boolean }>)[name]?.required)
          add(node.range?.[0], `var ${name} has no value`, `set ${name} in the environment or in ${displayPath(envFilePath)}`);
      }
    },
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

  const lookup = (n: string) => vars[n]?.value ?? '';
  const runbook = templateDeep(parsed.data!, lookup) as Runbook;
  const secrets = Object.values(vars).filter((v) => v.secret && v.value).map((v) => v.value!);
  const partHashes: Record<string, string> = {};
  for (const ph of (rawObj.phases as Array<Record<string, unknown>>) ?? []) partHashes[`phase:${String(ph.id)}`] = sha256(JSON.stringify(ph));
  for (const pr of (rawObj.rollback as Array<Record<string, unknown>>) ?? []) partHashes[`rollback:${String(pr.id)}`] = sha256(JSON.stringify(pr));
  return { file, dir, text, hash: sha256(text), partHashes, runbook, vars, redactor: new Redactor(secrets) };
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function withDefaults(raw: Record<string, unknown>): Runbook {
  const arr = (v: unknown) => (Array.isArray(v) ? v : []);
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

function templateDeep(value: unknown, lookup: (n: string) => string): unknown {
  if (typeof value === 'string') return substitute(value, lookup);
  if (Array.isArray(value)) return value.map((v) => templateDeep(v, lookup));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = templateDeep(v, lookup);
    return out;
  }
  return value;
}

type AddProblem = (offset: number | undefined, message: string, hint?: string) => void;

function crossCheck(rb: Runbook, offsetOf: (p: PropertyKey[]) => number | undefined, add: AddProblem): void {
  const checkIds = new Set(Object.keys(rb.checks));
  const phaseIds = new Set<string>();
  const stepKeys = new Set<string>();
  const needCheck = (id: string, path: PropertyKey[]) => {
    if (!checkIds.has(id)) add(offsetOf(path), `unknown check "${id}"`, `define it under checks: (known: ${[...checkIds].slice(0, 6).join(', ')}${checkIds.size > 6 ? ', …' : ''})`);
  };
  for (const [cid, c] of Object.entries(rb.checks)) {
    if (c.connection && !rb.connections[c.connection])
      add(offsetOf(['checks', cid, 'connection']), `check "${cid}" names unknown connection "${c.connection}"`, 'define it under connections:');
    for (const p of checkParamsProblems(c.type, c.params)) add(offsetOf(['checks', cid, ...(p.path.length ? ['params', ...p.path] : ['type'])]), `check "${cid}" (${c.type}): ${p.message}`, p.hint);
    if (c.timeout && parseDuration(c.timeout) === undefined) add(offsetOf(['checks', cid, 'timeout']), `bad duration "${c.timeout}"`, 'write e.g. "10s", "2m", "24h", "7d"');
    if (c.baseline && typeof c.baseline === 'object') needCheck(c.baseline.compare, ['checks', cid, 'baseline', 'compare']);
  }
  for (const [eid, e] of Object.entries(rb.data)) {
    if (!e.file && !e.nested_in) add(offsetOf(['data', eid]), `entity "${eid}" needs a file, or nested_in and field`, 'e.g. file: ${DATA_DIR}/users.json');
    if (e.nested_in && !e.field) add(offsetOf(['data', eid, 'nested_in']), `nested entity "${eid}" needs field: (the parent's array holding it)`);
    if (e.nested_in && !rb.data[e.nested_in]) add(offsetOf(['data', eid, 'nested_in']), `entity "${eid}" is nested in unknown entity "${e.nested_in}"`);
    if (e.connection && !rb.connections[e.connection]) add(offsetOf(['data', eid, 'connection']), `unknown connection "${e.connection}"`);
  }
  const checkSteps = (steps: Step[], base: PropertyKey[], scope: string) => {
    const seen = new Set<string>();
    steps.forEach((s, i) => {
      if (seen.has(s.id)) add(offsetOf([...base, i, 'id']), `duplicate step id "${s.id}" in ${scope}`, 'step ids must be unique within their phase');
      seen.add(s.id);
      if (s.kind === 'check') needCheck(s.check, [...base, i, 'check']);
      if (s.kind === 'command') {
        if (typeof s.run === 'string' && !s.shell)
          add(offsetOf([...base, i, 'run']), 'a command given as one string needs shell: true', 'write run as an argument list, e.g. [node, script.js], or add shell: true');
        if (s.timeout && parseDuration(s.timeout) === undefined) add(offsetOf([...base, i, 'timeout']), `bad duration "${s.timeout}"`, 'write e.g. "30s", "5m"');
        if (s.expect_output) {
          try { new RegExp(s.expect_output); } catch { add(offsetOf([...base, i, 'expect_output']), `expect_output is not a valid regular expression`); }
        }
      }
      if (s.kind === 'wait' && parseDuration(s.duration) === undefined) add(offsetOf([...base, i, 'duration']), `bad duration "${s.duration}"`, 'write e.g. "24h", "7d", "30m"');
    });
  };
  rb.phases.forEach((ph, i) => {
    if (phaseIds.has(ph.id)) add(offsetOf(['phases', i, 'id']), `duplicate phase id "${ph.id}"`, 'phase ids must be unique');
    phaseIds.add(ph.id);
    ph.steps.forEach((s) => stepKeys.add(`${ph.id}/${s.id}`));
    ph.gate.forEach((g, j) => needCheck(g, ['phases', i, 'gate', j]));
    checkSteps(ph.steps, ['phases', i, 'steps'], `phase "${ph.id}"`);
    if (ph.rollback && !rb.rollback.some((r) => r.id === ph.rollback))
      add(offsetOf(['phases', i, 'rollback']), `unknown rollback procedure "${ph.rollback}"`, 'define it under rollback:');
  });
  rb.phases.forEach((ph, i) =>
    ph.steps.forEach((s, j) => {
      if (s.kind !== 'wait') return;
      const m = /^(phase|step):(.+)$/.exec(s.after);
      if (!m) add(offsetOf(['phases', i, 'steps', j, 'after']), `wait "after" must be phase:ID or step:PHASE/STEP, not "${s.after}"`);
      else if (m[1] === 'phase' && !phaseIds.has(m[2])) add(offsetOf(['phases', i, 'steps', j, 'after']), `wait gate names unknown phase "${m[2]}"`);
      else if (m[1] === 'step' && !stepKeys.has(m[2])) add(offsetOf(['phases', i, 'steps', j, 'after']), `wait gate names unknown step "${m[2]}"`, 'write step:PHASE_ID/STEP_ID');
    }),
  );
  const procIds = new Set<string>();
  rb.rollback.forEach((p, i) => {
    if (procIds.has(p.id)) add(offsetOf(['rollback', i, 'id']), `duplicate rollback id "${p.id}"`);
    procIds.add(p.id);
    checkSteps(p.steps, ['rollback', i, 'steps'], `rollback "${p.id}"`);
  });
  const tsIds = new Set<string>();
  rb.troubleshooting.forEach((t, i) => {
    if (tsIds.has(t.id)) add(offsetOf(['troubleshooting', i, 'id']), `duplicate troubleshooting id "${t.id}"`);
    tsIds.add(t.id);
    checkSteps(t.diagnostics, ['troubleshooting', i, 'diagnostics'], `troubleshooting "${t.id}"`);
  });
  rb.monitoring?.checks.forEach((c, i) => needCheck(c, ['monitoring', 'checks', i]));
  rb.monitoring?.alerts.forEach((a, i) => needCheck(a.check, ['monitoring', 'alerts', i, 'check']));
  if (rb.monitoring && parseDuration(rb.monitoring.interval) === undefined) add(offsetOf(['monitoring', 'interval']), `bad duration "${rb.monitoring.interval}"`);
  rb.success.forEach((s, i) => {
    s.checks.forEach((c, j) => needCheck(c, ['success', i, 'checks', j]));
    s.steps.forEach((k, j) => {
      if (!stepKeys.has(k)) add(offsetOf(['success', i, 'steps', j]), `unknown step "${k}"`, 'write PHASE_ID/STEP_ID');
    });
  });
  for (const [name, steps] of Object.entries(rb.maintenance)) checkSteps(steps, ['maintenance', name], `maintenance "${name}"`);
}

function isMapNode(node: unknown): node is { items: Array<{ key: unknown }> } {
  return !!node && typeof node === 'object' && Array.isArray((node as { items?: unknown }).items) && (node as { items: unknown[] }).items.every((i) => i && typeof i === 'object' && 'key' in (i as object));
}
function findKey(node: { items: Array<{ key: unknown }> }, key: PropertyKey): number | undefined {
  for (const it of node.items) if (isScalar(it.key) && it.key.value === key) return it.key.range?.[0];
  return undefined;
}
function firstLine(s: string): string {
  return s.split('\n')[0];
}
function yamlHint(code: string): string | undefined {
  if (code === 'DUPLICATE_KEY') return 'each key may appear once in a mapping';
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR') return 'check the indentation and the quotes on this line';
  if (code === 'TAB_AS_INDENT') return 'indent with spaces, not tabs';
  return undefined;
}
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && (issue as { discriminator?: string }).discriminator === 'kind')
    return 'unknown step kind; use one of manual, command, check, wait, edit-env, signoff';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `missing required field (expected ${issue.expected})`;
  if (issue.code === 'too_small' && issue.origin === 'array') return `needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
  return issue.message;
}
function hintForIssue(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return 'check the spelling; `waymark schema` lists every field';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  return undefined;
}

