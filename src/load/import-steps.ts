// `waymark import`, its reading of blocks (import-markdown.ts shapes the sections): shell blocks
// become command steps (a block of comment-led groups, one step a group), SQL blocks checks (a
// query) or psql steps (a change), numbered prose manual steps, an "Expected output" block the
// step's expectation, NAME=value lines an env edit. A value that looks like a secret becomes a
// secret input, passed to a command by its environment, never on its command line.
import type { Code, ListItem, RootContent } from 'mdast';

export type Obj = Record<string, unknown>;

export interface ImportNote {
  line: number;
  note: string;
}

const SHELL = new Set(['sh', 'bash', 'shell', 'zsh', 'console', 'shell-session']);
const QUERY = /^\s*(select|with|show|explain|table)\b/i;

export interface Section {
  depth: number;
  title: string;
  line: number;
  blocks: RootContent[];
  children: Section[];
}

const lineOf = (n: { position?: { start: { line: number } } }) => n.position?.start.line ?? 1;
const textOf = (n: RootContent | ListItem | undefined): string => {
  if (!n) return '';
  if ('value' in n && typeof n.value === 'string') return n.value;
  if ('children' in n) return (n.children as RootContent[]).map((c) => textOf(c)).join('');
  return '';
};
export const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48) || 'step';

/** Sections by heading, each with its own blocks and its sub-sections. */
export function sections(children: RootContent[]): Section {
  const root: Section = { depth: 0, title: '', line: 1, blocks: [], children: [] };
  const stack = [root];
  for (const n of children) {
    if (n.type === 'heading') {
      while (stack[stack.length - 1].depth >= n.depth) stack.pop();
      const s: Section = { depth: n.depth, title: textOf(n).trim(), line: lineOf(n), blocks: [], children: [] };
      stack[stack.length - 1].children.push(s);
      stack.push(s);
    } else stack[stack.length - 1].blocks.push(n);
  }
  return root;
}

/** Reads one source: its secrets, its steps, its notes. */
export class Importer {
  readonly notes: ImportNote[] = [];
  readonly inputs: Obj = {};
  readonly checks: Obj = {};
  readonly blocks = { total: 0, mapped: 0 };
  private ids = new Set<string>();
  usesEnvFile = false;
  usesDatabase = false;

  constructor(private text: string) {}

  uniqueId(base: string, scope: Set<string> = this.ids): string {
    let id = slug(base);
    for (let i = 2; scope.has(id); i++) id = `${slug(base)}-${i}`;
    scope.add(id);
    return id;
  }

  note(line: number, note: string): void {
    this.notes.push({ line, note });
  }

  /**
   * A value that looks like a secret, replaced by ${NAME} of a secret input: KEY=value for a
   * password, token or key; a URL's password; a JSON "password"; a bearer token.
   */
  secrets(code: string, line: number, inCommand = false): string {
    const give = (name: string, why: string) => {
      if (!this.inputs[name]) {
        this.inputs[name] = { secret: true, description: `${why} (line ${line} of the source held a value)` };
        this.note(line, `a secret (${why}) became the secret input ${name}: set it in the environment`);
      }
      if (!inCommand) return `\${inputs.${name}}`;
      // never on a command line (ps shows it): the step's environment holds it, the shell reads it
      this.env[name] = `\${inputs.${name}}`;
      return `$\${${name}}`;
    };
    // in a command, a value inside '…' is read by the shell only after the quote is closed
    const quoted = (all: string, at: number, ref: string) =>
      inCommand && (all.slice(0, at).split('\n').pop()!.split("'").length - 1) % 2 === 1 ? `'"${ref}"'` : ref;
    return code
      .replace(
        /\b([A-Z][A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY))=("[^"]*"|'[^']*'|[^\s#]+)/g,
        (_m, k: string) => `${k}=${inCommand ? `"${give(k, `${k}=`)}"` : give(k, `${k}=`)}`,
      )
      .replace(
        /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi,
        (_m, a: string, _p, b: string, at: number, all: string) =>
          `${a}${quoted(all, at, give('URL_PASSWORD', 'a password in a URL'))}${b}`,
      )
      .replace(
        /("(?:password|passwd|secret|token|api_key)"\s*:\s*")([^"]*)(")/gi,
        (_m, a: string, _p, b: string, at: number, all: string) =>
          `${a}${quoted(all, at, give('PASSWORD', 'a password in JSON'))}${b}`,
      )
      .replace(
        /(Bearer\s+)([A-Za-z0-9._~+/-]{8,}=*)/g,
        (_m, a: string, _t, at: number, all: string) => `${a}${quoted(all, at, give('TOKEN', 'a bearer token'))}`,
      );
  }

  /** the environment the command being read needs for its secrets */
  private env: Record<string, string> = {};

  /** A command step: ${…} of the shell kept as the shell's ($${…}), its secrets through its environment. */
  command(title: string | undefined, code: string, line: number, extra: Obj = {}): Obj {
    this.env = {};
    // '$$$${' writes "$${" (in a replacement "$$" is one "$"): the shell's ${…}, not Waymark's
    const run = this.secrets(code.replace(/\$\{/g, '$$$${'), line, true);
    // named after what it runs when nothing names it: the words after the secrets are taken out
    title ??= `Run ${run.trim().split(/\s+/).slice(0, 3).join(' ')}`;
    const env = { ...((extra.env as Record<string, string> | undefined) ?? {}), ...this.env };
    return {
      id: this.uniqueId(title),
      kind: 'command',
      title,
      run,
      shell: true,
      ...extra,
      ...(Object.keys(env).length ? { env } : {}),
    };
  }

  /** The steps a section's blocks hold, in order. */
  steps(blocks: RootContent[], out: Obj[], ctx: { title: string; objective?: string[] }): void {
    let prose: string[] = [];
    let expectNext = false;
    const last = () => out[out.length - 1];
    const flush = () => {
      if (!prose.length) return;
      const step = last();
      if (step && step.kind !== 'signoff')
        step.instructions = [step.instructions, ...prose].filter(Boolean).join('\n\n');
      else if (ctx.objective) ctx.objective.push(...prose);
      else out.push(this.manual(prose.join('\n\n'), prose[0]));
      prose = [];
    };
    for (const n of blocks) {
      const src = this.slice(n);
      if (n.type === 'paragraph') {
        const t = textOf(n).trim();
        const objective = /^objective\s*:\s*(.+)$/is.exec(t);
        if (objective && ctx.objective && !out.length) ctx.objective.push(objective[1].trim());
        else if (/^(expected output|you should see|output)\b.*:?\s*$/i.test(t)) expectNext = true;
        else prose.push(src);
        continue;
      }
      if (n.type === 'code') {
        if (expectNext && !SHELL.has(n.lang ?? '') && n.lang !== 'sql') {
          expectNext = false;
          this.expectation(last(), n, src);
          continue;
        }
        expectNext = false;
        const made = this.code(n);
        if (made.length) {
          // the prose before a block says what it is for: the first step reads it
          if (prose.length)
            made[0].instructions = [prose.join('\n\n'), made[0].instructions].filter(Boolean).join('\n\n');
          prose = [];
          out.push(...made);
        } else prose.push(src);
        continue;
      }
      // a numbered list of links is a table of contents, not steps
      const links =
        n.type === 'list' &&
        n.children.every((i) => /^\s*\[[^\]]*\]\([^)]*\)\s*$/.test(this.slice(i).replace(/^\s*\d+[.)]\s*/, '')));
      if (n.type === 'list' && n.ordered && !links) {
        flush();
        for (const item of n.children) out.push(...this.item(item));
        continue;
      }
      if (n.type === 'thematicBreak') continue;
      if (n.type === 'html' && /^<!--/.test(n.value)) continue;
      prose.push(src);
    }
    flush();
  }

  /** A block's text as written, its later lines moved back to where its first begins (a list item's indent). */
  private slice(n: RootContent | ListItem): string {
    const indent = new RegExp(`^ {0,${Math.max(0, n.position!.start.column - 1)}}`);
    const [first, ...rest] = this.text.slice(n.position!.start.offset, n.position!.end.offset).split('\n');
    return [first, ...rest.map((l) => l.replace(indent, ''))].join('\n');
  }

  private manual(text: string, titleFrom: string): Obj {
    const title =
      titleFrom
        .replace(/[*_`#>]/g, '')
        .split('\n')[0]
        .trim()
        .slice(0, 72) || 'Read this';
    return { id: this.uniqueId(title), kind: 'manual', title, instructions: text };
  }

  /** A numbered item: its bold title, its blocks as the steps under it (one manual step when none run). */
  private item(item: ListItem): Obj[] {
    const [head, ...rest] = item.children as RootContent[];
    const headText = head?.type === 'paragraph' ? textOf(head).trim() : '';
    const strong = head?.type === 'paragraph' ? head.children.find((c) => c.type === 'strong') : undefined;
    const title = (strong ? textOf(strong) : headText.split('\n')[0]).replace(/:$/, '').trim() || 'Step';
    const after = strong ? headText.slice(textOf(strong).length).replace(/^[\s:—-]+/, '') : '';
    const out: Obj[] = [];
    const blocks = head?.type === 'paragraph' ? rest : (item.children as RootContent[]);
    this.steps(blocks, out, { title });
    if (!out.length)
      return [this.manual([after, ...blocks.map((b) => this.slice(b))].filter(Boolean).join('\n\n') || title, title)];
    // one step: it takes the item's title; several: each keeps its own, the first says which item it is
    if (out.length === 1) Object.assign(out[0], { id: this.uniqueId(title), title });
    // several: each says which item it is part of
    else for (const step of out) step.title = `${title}: ${String(step.title)}`;
    if (after) out[0].instructions = [after, out[0].instructions].filter(Boolean).join('\n\n');
    return out;
  }

  /** An "Expected output" block: the line most its own (a ✅ line, else the last one) must be printed. */
  private expectation(step: Obj | undefined, n: Code, src: string): void {
    const lines = n.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const pick = [...lines].reverse().find((l) => /✅|success|complete|ok\b/i.test(l)) ?? lines[lines.length - 1];
    if (!step || step.kind !== 'command' || !pick) {
      if (step) step.instructions = [step.instructions, `Expected output:\n\n${src}`].filter(Boolean).join('\n\n');
      return;
    }
    // a line with a date or a count in it is matched up to that point
    const stable = pick.replace(/(\d{4}-\d\d-\d\d|\.\.\.|…).*$/, '').trim();
    step.expect = stable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    step.instructions = [step.instructions, `Expected output:\n\n${src}`].filter(Boolean).join('\n\n');
  }

  /** A fenced block: shell → command steps, SQL → checks or psql steps; anything else none. */
  code(n: Code): Obj[] {
    const lang = (n.lang ?? '').toLowerCase();
    const line = lineOf(n);
    const looksShell = !lang && /^\s*(\$ |[a-z][\w.-]*(\s|$))/m.test(n.value) && !/^\s*[{[]/.test(n.value);
    if (!SHELL.has(lang) && lang !== 'sql' && !looksShell) return [];
    this.blocks.total += SHELL.has(lang) || lang === 'sql' ? 1 : 0;
    const steps =
      lang === 'sql'
        ? this.sql(n.value, line)
        : this.shell(n.value, line, lang === 'console' || lang === 'shell-session');
    if (steps.length && (SHELL.has(lang) || lang === 'sql')) this.blocks.mapped++;
    if (!steps.length) this.note(line, 'a code block with no command in it: kept as instructions');
    return steps;
  }

  /** Groups of a block, each led by its comment lines: one step a group. */
  private groups(code: string, comment: RegExp): Array<{ title?: string; body: string[]; offset: number }> {
    const out: Array<{ title?: string; body: string[]; offset: number }> = [];
    let cur: { title?: string; body: string[]; offset: number } | undefined;
    code.split('\n').forEach((l, i) => {
      const c = comment.exec(l);
      if (c && (!cur || cur.body.length)) {
        cur = { title: c[1].replace(/^\d+[.)]\s*/, '').trim(), body: [], offset: i };
        out.push(cur);
      } else if (c && cur) cur.title = [cur.title, c[1].trim()].filter(Boolean).join('; ');
      else if (l.trim()) {
        if (!cur) out.push((cur = { body: [], offset: i }));
        cur.body.push(l);
      }
    });
    return out.filter((g) => g.body.length);
  }

  private shell(code: string, line: number, transcript: boolean): Obj[] {
    if (transcript) return this.transcript(code, line);
    return this.groups(code, /^\s*#\s?(.*)$/).map((g) => {
      const at = line + 1 + g.offset;
      // NAME=value lines and nothing else: values for the app's env file
      const env = g.body.every((l) => /^\s*[A-Z_][A-Z0-9_]*=("[^"]*"|'[^']*'|[^\s#]*)\s*(#.*)?$/.test(l));
      if (env) return this.envStep(g.body, g.title || 'Set the environment values', at);
      return this.command(g.title || undefined, g.body.join('\n'), at);
    });
  }

  /** NAME=value lines: set in the app's env file (an edit-env step); a secret value becomes an input. */
  private envStep(lines: string[], title: string, at: number): Obj {
    this.usesEnvFile = true;
    const set: Obj = {};
    for (const l of lines) {
      const m = /^\s*([A-Z_][A-Z0-9_]*)=("[^"]*"|'[^']*'|[^\s#]*)/.exec(l);
      if (m) set[m[1]] = this.secrets(`${m[1]}=${m[2].replace(/^["']|["']$/g, '')}`, at).slice(m[1].length + 1);
    }
    return { id: this.uniqueId(title), kind: 'edit-env', title, file: '${ENV_FILE}', set };
  }

  /** A console transcript: `$ ` lines are commands, the lines after each its output (the last one expected). */
  private transcript(code: string, line: number): Obj[] {
    const out: Obj[] = [];
    for (const l of code.split('\n')) {
      const cmd = /^\s*[$#]\s+(.*)$/.exec(l);
      if (cmd) {
        out.push(this.command(undefined, cmd[1], line));
      } else if (l.trim() && out.length) {
        const s = out[out.length - 1];
        s.expect = l.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
    }
    return out;
  }

  /** SQL: a query is a check (pg.query), a change a psql step; psql command lines in it are shell. */
  private sql(code: string, line: number): Obj[] {
    return this.groups(code, /^\s*--\s?(.*)$/).map((g) => {
      const at = line + 1 + g.offset;
      const body = g.body.join('\n');
      const title = g.title || `SQL: ${body.trim().split('\n')[0].slice(0, 50)}`;
      if (/^\s*psql\b/.test(body)) return this.command(title, body, at);
      this.usesDatabase = true;
      if (QUERY.test(body)) {
        const id = this.uniqueId(title, new Set(Object.keys(this.checks)));
        this.checks[id] = {
          type: 'pg.query',
          title,
          connection: 'main',
          params: { sql: this.secrets(body.trim(), at) },
        };
        return { id: this.uniqueId(title), kind: 'check', title, check: id };
      }
      const destructive = /\b(delete|drop|truncate|update)\b/i.test(body);
      if (destructive) this.note(at, `"${title}" changes data: imported as destructive (its word is typed to run it)`);
      return this.command(title, `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'\n${body.trim()}\nSQL`, at, {
        env: { DATABASE_URL: '${DATABASE_URL}' },
        ...(destructive ? { destructive: true } : {}),
      });
    });
  }
}
