// The positioned values a Markdown runbook is built from, and the YAML nodes they become: each
// keeps the offset in the Markdown text it was written at, which the loader's errors point to.
import { Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

/** A value with where it was written: the tree the document is built from. */
export type P = { at: number; v: string | number | boolean | P[] | PMap };
export type PMap = Map<string, { key: number; val: P }>;

export const p = (at: number, v: P['v']): P => ({ at, v });

/** A value's text (a string), else empty. */
export const textOf = (x: P | undefined): string => (typeof x?.v === 'string' ? x.v : '');

export function scalar(v: unknown, at: number): Scalar {
  const s = new Scalar(v);
  s.range = [at, at, at];
  return s;
}

export function toNode(x: P): Node {
  if (Array.isArray(x.v)) {
    const s = new YAMLSeq();
    s.items = x.v.map(toNode);
    s.range = [x.at, x.at, x.at];
    return s;
  }
  if (x.v instanceof Map) {
    const m = new YAMLMap();
    for (const [k, { key, val }] of x.v) m.items.push(new Pair(scalar(k, key), toNode(val)));
    m.range = [x.at, x.at, x.at];
    return m;
  }
  return scalar(x.v, x.at);
}

export function joinProse(parts: Array<{ at: number; text: string }>): P | undefined {
  const text = parts
    .map((x) => x.text.trim())
    .filter(Boolean)
    .join('\n\n');
  return text ? p(parts[0].at, text) : undefined;
}

export const numberOr = (v: string) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);

/** `expect="tables = 5, rows >= 1"`: a pg.query check's expectations, column op value. */
export function expectations(source: string, at: number): P[] {
  return source.split(',').map((part) => {
    const m = /^\s*(\w+)\s*(=|!=|<>|>=|<=|>|<)\s*(.+?)\s*$/.exec(part);
    const map: PMap = new Map();
    if (!m) map.set('column', { key: at, val: p(at, part.trim()) });
    else {
      map.set('column', { key: at, val: p(at, m[1]) });
      map.set('op', { key: at, val: p(at, m[2]) });
      map.set('value', { key: at, val: p(at, numberOr(m[3])) });
    }
    return p(at, map);
  });
}

/** A node of a waymark block, as a positioned value (its offsets moved into the Markdown text). */
export function fromYaml(n: Node | null, shift: number): P {
  const at = shift + (n?.range?.[0] ?? 0);
  if (n instanceof YAMLSeq)
    return p(
      at,
      n.items.map((i) => fromYaml(i as Node, shift)),
    );
  if (n instanceof YAMLMap) {
    const m: PMap = new Map();
    for (const i of n.items) {
      const k = i.key as Scalar;
      m.set(String(k.value), { key: shift + (k.range?.[0] ?? 0), val: fromYaml(i.value as Node, shift) });
    }
    return p(at, m);
  }
  const v = (n as Scalar | null)?.value;
  return p(at, v === null || v === undefined ? '' : (v as string | number | boolean));
}
