// A Markdown runbook, read into the same YAML document a runbook.yaml gives the loader: its
// front matter is the YAML top level; `##` headings are phases (`## Rollback: …` and
// `## Troubleshooting: …` procedures), `###` headings steps, prose their instructions, a fenced
// shell block a step's command, a `sql {check=ID}` block a check. Every node keeps the offset it
// came from in the Markdown text, so the loader's errors point at the .md file's own lines.
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatter } from 'micromark-extension-frontmatter';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import type { RootContent } from 'mdast';
import { Document, isMap, Pair, parseDocument, visit, YAMLMap, type Node, type Scalar } from 'yaml';
import {
  expectations,
  fromYaml,
  joinProse,
  numberOr,
  p,
  scalar,
  textOf,
  toNode,
  type P,
  type PMap,
} from './markdown-nodes.js';
import { metaAttrs, parseAttrs, shellWords, splitHeading, type Attr } from './markdown-attrs.js';

export const isMarkdownFile = (file: string) => /\.(md|markdown)$/i.test(file);

export interface MarkdownProblem {
  offset: number;
  message: string;
  hint?: string;
}

const SHELL = new Set(['sh', 'bash', 'shell', 'zsh']);
const FLAGS = new Set(['destructive', 'optional', 'background', 'shell', 'overridable', 'independent', 'signoff']);
const NUMBERS = new Set(['approvals']);
const LISTS = new Set(['environments', 'ask', 'gate']);

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'step';

interface Section {
  kind: 'phase' | 'rollback' | 'troubleshooting';
  map: PMap;
  at: number;
  prose: Array<{ at: number; text: string }>;
  fixes: P[];
  steps: P[];
}

interface Step {
  map: PMap;
  at: number;
  title: string;
  prose: Array<{ at: number; text: string }>;
  hasRun: boolean;
  kindGiven: boolean;
}

/** The Markdown runbook as a YAML document whose nodes' ranges are offsets in `text`. */
export function markdownDocument(text: string): { doc: Document; problems: MarkdownProblem[] } {
  const problems: MarkdownProblem[] = [];
  const add = (offset: number, message: string, hint?: string) => problems.push({ offset, message, hint });
  const tree = fromMarkdown(text, {
    extensions: [frontmatter(['yaml'])],
    mdastExtensions: [frontmatterFromMarkdown(['yaml'])],
  });
  const doc = new Document();
  const root = frontMatter(text, tree.children, doc, add);
  const b = new Builder(text, add);
  for (const n of tree.children) b.node(n);
  b.end();
  const top: Array<[string, P | undefined]> = [
    ['title', b.title],
    ['description', b.description()],
    ['phases', b.list('phase')],
    ['rollback', b.list('rollback')],
    ['troubleshooting', b.list('troubleshooting')],
  ];
  for (const [key, val] of top) {
    if (!val || (Array.isArray(val.v) && !val.v.length)) continue;
    const has = root.items.find((i) => (i.key as Scalar | undefined)?.value === key);
    if (has && (key === 'title' || key === 'description')) continue;
    if (has) {
      add(val.at, `${key} are written in the front matter and as headings`, `keep one: the headings (## …)`);
      continue;
    }
    root.items.push(new Pair(scalar(key, val.at), toNode(val)));
  }
  mergeChecks(root, b.checks, add);
  doc.contents = root;
  return { doc, problems };
}

/** The front matter's YAML, its nodes moved to where they are in the Markdown text. */
function frontMatter(
  text: string,
  children: RootContent[],
  doc: Document,
  add: (offset: number, message: string, hint?: string) => void,
): YAMLMap {
  const fm = children.find((n) => n.type === 'yaml');
  if (!fm || fm.type !== 'yaml') return new YAMLMap();
  const start = fm.position!.start.offset!;
  const shift = text.indexOf('\n', start) + 1;
  const parsed = parseDocument(fm.value, { prettyErrors: false, uniqueKeys: true });
  for (const err of [...parsed.errors, ...parsed.warnings])
    add(shift + (err.pos?.[0] ?? 0), `front matter: ${err.message.split('\n')[0]}`);
  visit(parsed, {
    Node(_k, n) {
      if (n.range) n.range = [n.range[0] + shift, n.range[1] + shift, n.range[2] + shift];
    },
  });
  doc.schema = parsed.schema;
  if (parsed.contents === null) return new YAMLMap();
  if (!isMap(parsed.contents)) {
    add(shift, 'the front matter must be a YAML mapping (id, title, version, vars, checks, …)');
    return new YAMLMap();
  }
  return parsed.contents;
}

/** Checks written as `sql {check=ID}` blocks join the front matter's checks:. */
function mergeChecks(root: YAMLMap, checks: PMap, add: (offset: number, message: string) => void): void {
  if (!checks.size) return;
  let map = root.items.find((i) => (i.key as Scalar | undefined)?.value === 'checks')?.value as Node | undefined;
  if (!map || !isMap(map)) {
    map = new YAMLMap();
    root.items.push(new Pair(scalar('checks', [...checks.values()][0].key), map));
  }
  for (const [id, { key, val }] of checks) {
    if ((map as YAMLMap).items.some((i) => (i.key as Scalar | undefined)?.value === id)) {
      add(key, `check "${id}" is defined twice (in the front matter too)`);
      continue;
    }
    (map as YAMLMap).items.push(new Pair(scalar(id, key), toNode(val)));
  }
}

/** Walks the Markdown's top-level blocks in order, keeping the section and step being written. */
class Builder {
  title?: P;
  private intro: Array<{ at: number; text: string }> = [];
  private sections: Section[] = [];
  private section?: Section;
  private step?: Step;
  readonly checks: PMap = new Map();

  constructor(
    private text: string,
    private add: (offset: number, message: string, hint?: string) => void,
  ) {}

  private src(n: RootContent): string {
    return this.text.slice(n.position!.start.offset, n.position!.end.offset);
  }

  node(n: RootContent): void {
    const at = n.position!.start.offset!;
    if (n.type === 'yaml') return;
    if (n.type === 'heading' && n.depth <= 3) return this.heading(n.depth, at, this.src(n));
    // a troubleshooting entry's fixes follow its diagnostics under a #### Fixes heading
    if (n.type === 'heading' && this.section?.kind === 'troubleshooting' && /^#+\s*fix(es)?\s*$/i.test(this.src(n)))
      return this.endStep();
    if (n.type === 'code') return this.code(n.lang ?? '', n.meta, n.value, at);
    if (n.type === 'html' && /^<!--\s*waymark:/.test(n.value)) return this.directive(n.value, at);
    // any other comment is a note for the runbook's authors (GitHub does not show it either)
    if (n.type === 'html' && /^<!--[\s\S]*-->$/.test(n.value.trim())) return;
    this.prose(at, this.src(n), n.type === 'list' ? n : undefined);
  }

  private prose(
    at: number,
    text: string,
    list?: { children: Array<{ position?: { start: { offset?: number }; end: { offset?: number } } }> },
  ) {
    if (this.step) this.step.prose.push({ at, text });
    else if (this.section?.kind === 'troubleshooting' && list)
      for (const item of list.children) {
        const s = item.position!.start.offset!;
        const t = this.text.slice(s, item.position!.end.offset).replace(/^\s*[-*+]\s+|^\s*\d+[.)]\s+/, '');
        this.section.fixes.push(p(s, t.trim()));
      }
    else if (this.section) this.section.prose.push({ at, text });
    else this.intro.push({ at, text });
  }

  private heading(depth: number, at: number, raw: string): void {
    const hashes = /^#+\s*/.exec(raw)![0].length;
    const h = splitHeading(raw.slice(hashes).replace(/\s+#+\s*$/, ''));
    const attrs = h.attrs === undefined ? [] : this.attrs(h.attrs, at + hashes + h.attrsAt);
    if (depth === 1) {
      this.title = p(at + hashes, h.title);
      return;
    }
    if (depth === 2) return this.startSection(at, hashes, h.title, attrs);
    this.startStep(at, h.title, attrs);
  }

  private attrs(source: string, offset: number): Attr[] {
    const r = parseAttrs(source, offset);
    if (typeof r === 'string') {
      this.add(offset, `attributes: ${r}`, 'write them as {#id key=value key="a value" flag}');
      return [];
    }
    return r;
  }

  private startSection(at: number, hashes: number, title: string, attrs: Attr[]): void {
    this.endStep();
    const m = /^(Rollback|Troubleshooting):\s*(.*)$/i.exec(title);
    const kind = !m ? 'phase' : m[1].toLowerCase() === 'rollback' ? 'rollback' : 'troubleshooting';
    const name = m ? m[2] : title;
    const map: PMap = new Map();
    const id = attrs.find((a) => a.key === 'id');
    map.set('id', { key: id?.at ?? at, val: p(id?.at ?? at, id ? String(id.value) : slug(name)) });
    map.set(kind === 'troubleshooting' ? 'symptom' : 'title', { key: at, val: p(at + hashes, name) });
    this.apply(
      map,
      attrs.filter((a) => a.key !== 'id'),
    );
    this.section = { kind, map, at, prose: [], fixes: [], steps: [] };
    this.sections.push(this.section);
  }

  private startStep(at: number, title: string, attrs: Attr[]): void {
    this.endStep();
    if (!this.section) {
      this.add(at, `the step "${title}" is under no ## heading`, 'put it under the ## heading of its phase');
      return;
    }
    const map: PMap = new Map();
    const id = attrs.find((a) => a.key === 'id');
    map.set('id', { key: id?.at ?? at, val: p(id?.at ?? at, id ? String(id.value) : slug(title)) });
    const kindGiven = attrs.some((a) => a.key === 'kind');
    map.set('kind', { key: at, val: p(at, 'manual') });
    map.set('title', { key: at, val: p(at, title) });
    this.step = { map, at, title, prose: [], hasRun: false, kindGiven };
    this.stepAttrs(attrs.filter((a) => a.key !== 'id'));
  }

  /** A step's attributes; the shorthand ones (check=, wait=, signoff) say its kind. */
  private stepAttrs(attrs: Attr[]): void {
    const s = this.step!;
    const rest: Attr[] = [];
    for (const a of attrs) {
      if (a.key === 'check' && !s.kindGiven) this.setKind('check', a.at);
      if (a.key === 'wait' && !s.kindGiven) {
        this.setKind('wait', a.at);
        s.map.set('duration', { key: a.at, val: p(a.at, String(a.value)) });
        continue;
      }
      if (a.key === 'signoff' && a.value === true && !s.kindGiven) {
        this.setKind('signoff', a.at);
        continue;
      }
      rest.push(a);
    }
    this.apply(s.map, rest);
  }

  private setKind(kind: string, at: number): void {
    this.step!.map.set('kind', { key: at, val: p(at, kind) });
  }

  /** key=value attributes into a map, typed as the schema wants them. */
  private apply(map: PMap, attrs: Attr[]): void {
    for (const a of attrs) {
      const raw = a.value;
      let v: P['v'];
      if (raw === true) v = true;
      else if (FLAGS.has(a.key) && /^(true|false)$/.test(raw)) v = raw === 'true';
      else if (NUMBERS.has(a.key) && /^\d+$/.test(raw)) v = Number(raw);
      else if (a.key === 'expect_exit' && !raw.includes(',')) v = numberOr(raw);
      else if (a.key === 'expect_exit') v = raw.split(',').map((x) => p(a.at, numberOr(x.trim())));
      else if (LISTS.has(a.key))
        v = raw
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .map((x) => p(a.at, x));
      else v = raw;
      if (map.has(a.key) && a.key !== 'kind') this.add(a.at, `"${a.key}" is given twice`);
      map.set(a.key, { key: a.at, val: p(a.at, v) });
    }
  }

  private code(lang: string, meta: string | null | undefined, value: string, at: number): void {
    const fence = this.text.slice(at, this.text.indexOf('\n', at) < 0 ? undefined : this.text.indexOf('\n', at));
    const source = metaAttrs(meta);
    const attrs = source ? this.attrs(source, at + Math.max(0, fence.indexOf(source))) : [];
    const body = this.text.indexOf('\n', at) + 1;
    const get = (k: string) => attrs.find((a) => a.key === k);
    if (lang === 'yaml' && attrs.some((a) => a.key === 'waymark')) return this.yamlBlock(value, body);
    if (lang === 'sql' && get('check')) return this.sqlCheck(value, body, attrs);
    if (SHELL.has(lang) && (this.step || get('step'))) return this.run(value, body, attrs, at);
    if ((lang === 'env' || lang === 'dotenv') && this.step && !this.step.hasRun) return this.envBlock(value, body);
    this.prose(at, this.text.slice(at, this.endOf(at, value)));
  }

  private endOf(at: number, value: string): number {
    const start = this.text.indexOf(value, at);
    const close = this.text.indexOf('\n', start + value.length + 1);
    return close < 0 ? this.text.length : close;
  }

  /** A shell block: the step's command (a string run by the shell; {argv}: its words, no shell). */
  private run(value: string, at: number, attrs: Attr[], fence: number): void {
    const named = attrs.find((a) => a.key === 'step');
    if (named || !this.step || this.step.hasRun) {
      if (!named) {
        this.add(fence, `the step "${this.step!.title}" already runs a block`, 'give this one its own ### heading');
        return;
      }
      const title = attrs.find((a) => a.key === 'title');
      this.startStep(named.at, title ? String(title.value) : String(named.value), [
        { key: 'id', value: named.value, at: named.at },
      ]);
      attrs = attrs.filter((a) => a !== named && a !== title);
    }
    const s = this.step!;
    s.hasRun = true;
    if (!s.kindGiven) this.setKind('command', at);
    const argv = attrs.find((a) => a.key === 'argv');
    if (argv) {
      const words = shellWords(value.trim());
      if (!words?.length) this.add(at, 'an {argv} block holds one command line, its quotes closed');
      s.map.set('run', {
        key: at,
        val: p(
          at,
          (words ?? []).map((w) => p(at, w)),
        ),
      });
    } else {
      s.map.set('run', { key: at, val: p(at, value) });
      s.map.set('shell', { key: at, val: p(at, true) });
    }
    this.stepAttrs(attrs.filter((a) => a !== argv));
  }

  private envBlock(value: string, at: number): void {
    const set: PMap = new Map();
    let off = at;
    for (const line of value.split('\n')) {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      if (m) set.set(m[1], { key: off, val: p(off + m[1].length + 1, m[2]) });
      else if (line.trim() && !line.trim().startsWith('#')) this.add(off, 'an env block holds NAME=value lines');
      off += line.length + 1;
    }
    this.step!.map.set('set', { key: at, val: p(at, set) });
    this.step!.hasRun = true;
  }

  /** A `sql {check=ID}` block: a pg.query check; under a step without a command, that step runs it. */
  private sqlCheck(value: string, at: number, attrs: Attr[]): void {
    const id = attrs.find((a) => a.key === 'check')!;
    const params: PMap = new Map([['sql', { key: at, val: p(at, value) }]]);
    const check: PMap = new Map([['type', { key: id.at, val: p(id.at, 'pg.query') }]]);
    const step = this.step && !this.step.hasRun ? this.step : undefined;
    const title = attrs.find((a) => a.key === 'title')?.value ?? step?.title;
    if (typeof title === 'string') check.set('title', { key: id.at, val: p(id.at, title) });
    for (const a of attrs) {
      if (a.key === 'check' || a.key === 'title') continue;
      if (a.key === 'expect') params.set('expect', { key: a.at, val: p(a.at, expectations(String(a.value), a.at)) });
      else if (a.key === 'connection' || a.key === 'timeout')
        check.set(a.key, { key: a.at, val: p(a.at, String(a.value)) });
      else params.set(a.key, { key: a.at, val: p(a.at, a.value === true ? true : numberOr(a.value)) });
    }
    check.set('params', { key: at, val: p(at, params) });
    if (this.checks.has(String(id.value))) this.add(id.at, `check "${String(id.value)}" is defined twice`);
    this.checks.set(String(id.value), { key: id.at, val: p(id.at, check) });
    if (step) {
      step.hasRun = true;
      if (!step.kindGiven) this.setKind('check', at);
      step.map.set('check', { key: id.at, val: p(id.at, String(id.value)) });
    }
  }

  /** A ```yaml {waymark}``` block: any of the schema's fields, for the step (or the section) above it. */
  private yamlBlock(value: string, at: number): void {
    const parsed = parseDocument(value, { prettyErrors: false, uniqueKeys: true });
    for (const err of parsed.errors) this.add(at + (err.pos?.[0] ?? 0), `waymark block: ${err.message.split('\n')[0]}`);
    if (parsed.errors.length) return;
    if (!isMap(parsed.contents)) return this.add(at, 'a waymark block is a YAML mapping of the fields it sets');
    const target = this.step?.map ?? this.section?.map;
    if (!target) return this.add(at, 'a waymark block belongs under the ## or ### heading it adds to');
    for (const item of (parsed.contents as YAMLMap).items) {
      const key = String((item.key as Scalar).value);
      const keyAt = at + ((item.key as Scalar).range?.[0] ?? 0);
      if (target.has(key) && !['kind', 'title'].includes(key)) this.add(keyAt, `"${key}" is given twice`);
      if (key === 'kind' && this.step) this.step.kindGiven = true;
      if (key === 'run' && this.step) {
        this.step.hasRun = true;
        if (!this.step.kindGiven && !target.has('run')) this.setKind('command', keyAt);
      }
      target.set(key, { key: keyAt, val: fromYaml(item.value as Node, at) });
    }
  }

  private directive(value: string, at: number): void {
    const inner = /^<!--\s*waymark:\s*([\s\S]*?)\s*-->$/.exec(value.trim());
    if (!inner) return this.add(at, 'a waymark directive is one comment: <!-- waymark: key=value … -->');
    const attrs = this.attrs(inner[1], at + value.indexOf(inner[1]));
    if (this.step) this.stepAttrs(attrs);
    else if (this.section) this.apply(this.section.map, attrs);
    else this.add(at, 'a waymark directive belongs under the ## or ### heading it is about');
  }

  private endStep(): void {
    const s = this.step;
    if (!s) return;
    this.step = undefined;
    const prose = joinProse(s.prose);
    const kind = s.map.get('kind')!.val.v;
    if (prose) s.map.set(kind === 'signoff' ? 'statement' : 'instructions', { key: prose.at, val: prose });
    this.section!.steps.push(p(s.at, s.map));
  }

  end(): void {
    this.endStep();
  }

  description(): P | undefined {
    return joinProse(this.intro);
  }

  /** The sections of one kind, each with its prose and steps in the fields its kind has. */
  list(kind: Section['kind']): P {
    const items = this.sections.filter((s) => s.kind === kind);
    return p(
      items[0]?.at ?? 0,
      items.map((s) => this.finish(s)),
    );
  }

  private finish(s: Section): P {
    const prose = joinProse(s.prose);
    const steps = p(s.at, s.steps);
    if (s.kind === 'phase') {
      if (prose) s.map.set('objective', { key: prose.at, val: prose });
      s.map.set('steps', { key: s.at, val: steps });
    } else if (s.kind === 'rollback') {
      // a procedure has no text of its own: what precedes its steps is its first step's to read
      const first = s.steps[0]?.v as PMap | undefined;
      if (prose && first) {
        const had = first.get('instructions');
        const text = had ? `${textOf(prose)}\n\n${textOf(had.val)}` : textOf(prose);
        first.set('instructions', { key: prose.at, val: p(prose.at, text) });
      } else if (prose) this.add(prose.at, 'a rollback procedure needs a ### step for this text');
      s.map.set('steps', { key: s.at, val: steps });
    } else {
      if (prose) s.map.set('description', { key: prose.at, val: prose });
      if (s.steps.length) s.map.set('diagnostics', { key: s.at, val: steps });
      if (s.fixes.length) s.map.set('fixes', { key: s.fixes[0].at, val: p(s.fixes[0].at, s.fixes) });
    }
    return p(s.at, s.map);
  }
}
