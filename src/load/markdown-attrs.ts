// The attribute lists of a Markdown runbook: `{#id key=value key="a value" flag}` after a
// heading, in a fenced block's info string, or in a `<!-- waymark: … -->` line (Pandoc's and
// Runme's syntax). Each attribute keeps where it was written, for error messages.

export interface Attr {
  key: string;
  /** a flag written alone is true */
  value: string | true;
  /** offset of the attribute in the Markdown text */
  at: number;
}

// a bare value may hold ${VAR}; one with spaces or other braces is quoted
const TOKEN = /\s*(?:#([\w.-]+)|([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|(?:\$\{[^{}]*\}|[^\s"'{}])+)|([\w.-]+))/y;
const LIST = /\s\{((?:[^"'{}]|"(?:[^"\\]|\\.)*"|'[^']*'|\$\{[^{}]*\})*)\}\s*$/;

/** The attributes in `source` (without its braces), which starts at `offset`; a string saying why when unreadable. */
export function parseAttrs(source: string, offset: number): Attr[] | string {
  const out: Attr[] = [];
  TOKEN.lastIndex = 0;
  let i = 0;
  while (source.slice(i).trim()) {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(source);
    if (!m) return `cannot read "${source.slice(i).trim()}"`;
    const at = offset + i + (m[0].length - m[0].trimStart().length);
    if (m[1]) out.push({ key: 'id', value: m[1], at });
    else if (m[2]) out.push({ key: m[2], value: unquote(m[3]), at });
    else out.push({ key: m[4], value: true, at });
    i = TOKEN.lastIndex;
  }
  return out;
}

/** "…": \" and \\ are a quote and a backslash, any other backslash stays (a regular expression's \d). */
function unquote(v: string): string {
  if (v.startsWith('"')) return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (v.startsWith("'")) return v.slice(1, -1);
  return v;
}

/** A heading's text and its trailing `{…}` attribute list, with the list's offset. */
export function splitHeading(raw: string): { title: string; attrs?: string; attrsAt: number } {
  // a list that does not read (a quote left open) is still a list: its error is said, not made a title
  const m = LIST.exec(` ${raw}`) ?? /\s\{([#\w][^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\s*$/.exec(` ${raw}`);
  if (!m) return { title: raw.trim(), attrsAt: raw.length };
  return { title: raw.slice(0, m.index).trim(), attrs: m[1], attrsAt: m.index + m[0].indexOf('{') };
}

/** A fenced block's info string after its language: `{…}` or bare `key=value` words. */
export function metaAttrs(meta: string | null | undefined): string {
  const m = (meta ?? '').trim();
  return m.startsWith('{') && m.endsWith('}') ? m.slice(1, -1) : m;
}

/**
 * The words of a command written for argv (no shell): split at spaces; '…' literal, "…" with
 * \" and \\ escapes, as a POSIX shell reads them. Undefined when a quote is not closed.
 */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++)
        s += line[j] === '\\' && /["\\$`]/.test(line[j + 1]) ? line[++j] : line[j];
      if (j >= line.length) return undefined;
      cur = (cur ?? '') + s;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) cur = (cur ?? '') + line[++i];
    else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/** One word as a POSIX shell would read it back (the inverse of shellWords). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./${}-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
