// A YAML runbook written out as a Markdown runbook (markdown.ts reads it back to the same
// runbook): the top level in front matter, phases as ## headings, steps as ### headings with
// their attributes, instructions as prose, commands as shell blocks. What has no shorthand (a
// step's env, its captures, a list of expectations) goes in a ```yaml {waymark} block.
import { fromMarkdown } from 'mdast-util-from-markdown';
import { stringify } from 'yaml';
import { shellQuote } from './markdown-attrs.js';

type Obj = Record<string, unknown>;

const BODY = new Set(['title', 'description', 'phases', 'rollback', 'troubleshooting']);
/** step fields written as attributes when they are one plain value */
const STEP_ATTRS = [
  'timeout',
  'expect',
  'expect_output',
  'fail_on',
  'expect_exit',
  'cwd',
  'background',
  'destructive',
  'confirm_word',
  'optional',
  'rerun',
  'environments',
  'ask',
  'point_of_no_return',
  'after',
  'overridable',
  'file',
];
const PHASE_ATTRS = [
  'when',
  'independent',
  'signoff',
  'approvals',
  'distinct_from',
  'gate',
  'environments',
  'rollback',
  'point_of_no_return',
];

/**
 * Text that reads back as prose exactly: Markdown whose blocks are paragraphs, lists or quotes
 * (no heading, fence, directive, rule), joined by one blank line. `lists`: a list may be in it
 * (a troubleshooting entry's own text takes a list as its fixes).
 */
function proseSafe(s: unknown, lists = true): s is string {
  if (typeof s !== 'string' || !s || s !== s.trim()) return false;
  const blocks = fromMarkdown(s).children;
  const ok = new Set(['paragraph', 'blockquote', ...(lists ? ['list'] : [])]);
  // a fenced block Waymark does not read as a step's (an expected output, a config file) is prose
  const inert = (n: (typeof blocks)[number]) =>
    n.type === 'code' && !/^(sh|bash|shell|zsh|sql|env|dotenv|yaml)$/i.test(n.lang ?? '') && !!n.position;
  if (!blocks.every((n) => ok.has(n.type) || inert(n))) return false;
  return blocks.map((n) => s.slice(n.position!.start.offset, n.position!.end.offset)).join('\n\n') === s;
}

const LISTS = new Set(['environments', 'ask', 'gate']);

function attrValue(v: unknown, key = ''): string | undefined {
  if (v === true) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (LISTS.has(key) && Array.isArray(v) && v.length)
    return v.every((x) => typeof x === 'string' && /^[\w.-]+$/.test(x)) ? v.join(',') : undefined;
  if (key === 'expect_exit' && Array.isArray(v) && v.length && v.every((x) => typeof x === 'number'))
    return v.join(',');
  if (Array.isArray(v)) return undefined;
  if (typeof v !== 'string' || [...v].some((c) => c.charCodeAt(0) < 32)) return undefined;
  return /^(?:\$\{[^{}]*\}|[^\s"'{}])+$/.test(v) && v !== '' ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/** `{#id key=value …}`, the fields that fit taken out of `rest`. */
function attrs(id: string | undefined, fields: string[], rest: Obj, extra: string[] = []): string {
  const out = id ? [`#${id}`] : [];
  out.push(...extra);
  for (const k of fields) {
    if (!(k in rest)) continue;
    const v = attrValue(rest[k], k);
    if (v === undefined) continue;
    out.push(v === '' ? k : `${k}=${v}`);
    delete rest[k];
  }
  return out.length ? ` {${out.join(' ')}}` : '';
}

/** A fence longer than any run of backticks in the text it closes around. */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function yamlBlock(rest: Obj): string[] {
  if (!Object.keys(rest).length) return [];
  const body = stringify(rest, { lineWidth: 0 }).trimEnd();
  return [`${fence(body)}yaml {waymark}`, body, fence(body), ''];
}

function heading(title: string): string | undefined {
  // a title that ends in braces or holds a newline would not read back: it stays in the yaml block
  return !title.includes('\n') && !/\{[^}]*\}\s*$/.test(title) && title.trim() === title ? title : undefined;
}

function step(s: Obj, level = '###'): string[] {
  const rest: Obj = { ...s };
  const id = String(rest.id);
  delete rest.id;
  const kind = rest.kind;
  delete rest.kind;
  const title = heading(String(rest.title));
  if (title !== undefined) delete rest.title;
  const extra: string[] = [];
  if (kind === 'check' && typeof rest.check === 'string') extra.push(`check=${attrValue(rest.check) ?? ''}`);
  if (kind === 'check') delete rest.check;
  if (kind === 'wait' && typeof rest.duration === 'string') {
    extra.push(`wait=${attrValue(rest.duration) ?? ''}`);
    delete rest.duration;
  }
  if (kind === 'signoff') extra.push('signoff');
  if (!['command', 'check', 'wait', 'signoff', 'manual'].includes(String(kind))) extra.push(`kind=${String(kind)}`);
  // a command without its block (none) or a manual step with a block would read back as another kind
  const out = [`${level} ${title ?? id}${attrs(id, STEP_ATTRS, rest, extra)}`, ''];
  const text = kind === 'signoff' ? 'statement' : 'instructions';
  if (proseSafe(rest[text])) {
    out.push(String(rest[text]), '');
    delete rest[text];
  }
  let block: string[] = [];
  const set = rest.set as Obj | undefined;
  if (
    kind === 'edit-env' &&
    set &&
    Object.values(set).every((v) => typeof v === 'string' && !/[\n\r]|^\s|\s$/.test(v))
  ) {
    block = ['```env', ...Object.entries(set).map(([k, v]) => `${k}=${String(v)}`), '```', ''];
    delete rest.set;
  }
  const r = rest.run;
  if (kind === 'command' && typeof r === 'string' && rest.shell === true && !r.includes('```') && !/^\s|\s$/.test(r)) {
    block = [`${fence(r)}sh`, r, fence(r), ''];
    delete rest.run;
    delete rest.shell;
  } else if (
    kind === 'command' &&
    Array.isArray(rest.run) &&
    rest.run.every((w) => typeof w === 'string' && !w.includes('\n'))
  ) {
    block = ['```sh {argv}', (rest.run as string[]).map(shellQuote).join(' '), '```', ''];
    delete rest.run;
  }
  return [...out, ...yamlBlock(rest), ...block];
}

/**
 * The YAML text's top-level keys but `drop`, as written (their comments kept): each key's part
 * runs from the comment lines above it to the next key at column 0.
 */
function topLevelText(text: string, drop: Set<string>): string {
  const parts: Array<{ key?: string; lines: string[] }> = [{ lines: [] }];
  let pending: string[] = [];
  for (const line of text.split('\n')) {
    const key = /^([A-Za-z_][\w-]*)\s*:/.exec(line)?.[1];
    if (key) {
      parts.push({ key, lines: [...pending, line] });
      pending = [];
    } else if (/^(#|\s*$)/.test(line) && !/^\s/.test(line)) pending.push(line);
    else {
      parts[parts.length - 1].lines.push(...pending, line);
      pending = [];
    }
  }
  return parts
    .filter((x) => !x.key || !drop.has(x.key))
    .flatMap((x) => x.lines)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The YAML runbook (as parsed, before defaults) in the Markdown runbook format; given its text,
 * the front matter keeps the YAML's own lines and comments.
 */
export function runbookToMarkdown(raw: Obj, text?: string): string {
  const front: Obj = {};
  for (const [k, v] of Object.entries(raw)) if (!BODY.has(k)) front[k] = v;
  const out: string[] = [];
  const title = heading(String(raw.title));
  const drop = new Set(BODY);
  if (title === undefined) {
    front.title = raw.title;
    drop.delete('title');
  }
  if (raw.description !== undefined && !proseSafe(raw.description)) {
    front.description = raw.description;
    drop.delete('description');
  }
  const fm = text ? topLevelText(text, drop) : stringify(front, { lineWidth: 0 }).trimEnd();
  out.push('---', fm, '---', '');
  if (title !== undefined) out.push(`# ${title}`, '');
  if (proseSafe(raw.description)) out.push(raw.description, '');
  for (const ph of (raw.phases as Obj[]) ?? []) {
    const rest: Obj = { ...ph };
    const steps = rest.steps as Obj[];
    delete rest.steps;
    const id = String(rest.id);
    delete rest.id;
    const t = String(rest.title);
    delete rest.title;
    out.push(`## ${t}${attrs(id, PHASE_ATTRS, rest)}`, '');
    if (proseSafe(rest.objective)) {
      out.push(rest.objective, '');
      delete rest.objective;
    }
    out.push(...yamlBlock(rest));
    for (const s of steps ?? []) out.push(...step(s));
  }
  for (const pr of (raw.rollback as Obj[]) ?? []) {
    const rest: Obj = { ...pr };
    const steps = rest.steps as Obj[];
    const head = `## Rollback: ${String(rest.title)}`;
    delete rest.steps;
    delete rest.title;
    const id = String(rest.id);
    delete rest.id;
    out.push(`${head}${attrs(id, ['when', 'destructive', 'confirm_word'], rest)}`, '', ...yamlBlock(rest));
    for (const s of steps ?? []) out.push(...step(s));
  }
  for (const t of (raw.troubleshooting as Obj[]) ?? []) {
    const rest: Obj = { ...t };
    const id = String(rest.id);
    out.push(`## Troubleshooting: ${String(rest.symptom)} {#${id}}`, '');
    delete rest.id;
    delete rest.symptom;
    if (proseSafe(rest.description, false)) {
      out.push(rest.description, '');
      delete rest.description;
    }
    const fixes = rest.fixes as unknown[] | undefined;
    const diagnostics = (rest.diagnostics as Obj[]) ?? [];
    delete rest.diagnostics;
    if (fixes?.every((f) => typeof f === 'string' && proseSafe(f, false) && !f.includes('\n'))) {
      delete rest.fixes;
      out.push(...yamlBlock(rest));
      for (const s of diagnostics) out.push(...step(s));
      if (fixes.length) out.push('#### Fixes', '', ...fixes.map((f) => `- ${String(f)}`), '');
    } else {
      out.push(...yamlBlock(rest));
      for (const s of diagnostics) out.push(...step(s));
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
