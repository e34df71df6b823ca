// What a step captures from its output (its `capture:`): the first line a pattern matches (its
// first group), or a dotted path into the output read as JSON; for a check step, its result's
// summary and metrics. A capture that finds nothing fails the step: a later step needs it.
import type { CaptureDef } from '../runbook/schema.js';
import type { CheckResult } from '../checks/types.js';

/** JSON output is read up to this size; a capture from more is a mistake the step says. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

type Def = { pattern?: string; json?: string; secret?: boolean };
const normal = (d: CaptureDef): Def => (typeof d === 'string' ? { pattern: d } : d);

/** The value at a dotted path (`a.b.0.c`), as text; undefined where there is none. */
export function atPath(doc: unknown, path: string): string | undefined {
  let v: unknown = doc;
  for (const part of path.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export interface Captured {
  values: Record<string, { value: string; secret?: boolean }>;
  /** why each capture that found nothing did not */
  missing: string[];
}

export class Capturer {
  private readonly defs: Array<[string, Def, RegExp | undefined]>;
  private readonly found = new Map<string, string>();
  private stdout = '';
  private tooLong = false;

  constructor(defs: Record<string, CaptureDef> | undefined) {
    this.defs = Object.entries(defs ?? {}).map(([n, d]) => {
      const def = normal(d);
      return [n, def, def.pattern ? new RegExp(def.pattern) : undefined];
    });
  }

  get active(): boolean {
    return this.defs.length > 0;
  }

  /** A line of output, as the command wrote it (before masking: a secret capture needs its value). */
  line(text: string, stream: 'stdout' | 'stderr'): void {
    for (const [name, , re] of this.defs) {
      if (!re || this.found.has(name)) continue;
      const m = re.exec(text);
      if (m?.[1] !== undefined) this.found.set(name, m[1]);
    }
    if (stream !== 'stdout' || !this.defs.some(([, d]) => d.json)) return;
    if (this.stdout.length + text.length > MAX_JSON_BYTES) this.tooLong = true;
    else this.stdout += `${text}\n`;
  }

  /** The values found, and why the others were not. */
  finish(): Captured {
    let doc: unknown;
    let parsed = false;
    const missing: string[] = [];
    const values: Captured['values'] = {};
    for (const [name, def] of this.defs) {
      if (def.json && !this.found.has(name)) {
        if (!parsed) {
          parsed = true;
          try {
            doc = JSON.parse(this.stdout);
          } catch {
            doc = undefined;
          }
        }
        const v = doc === undefined ? undefined : atPath(doc, def.json);
        if (v !== undefined) this.found.set(name, v);
      }
      const v = this.found.get(name);
      if (v !== undefined) values[name] = { value: v, ...(def.secret ? { secret: true } : {}) };
      else missing.push(this.why(name, def, parsed && doc === undefined));
    }
    return { values, missing };
  }

  /** A check step: its summary is the output its patterns read, its summary and metrics the JSON. */
  fromCheck(result: CheckResult): Captured {
    this.line(result.summary, 'stderr');
    this.stdout = JSON.stringify({ status: result.status, summary: result.summary, metrics: result.metrics });
    return this.finish();
  }

  private why(name: string, def: Def, notJson: boolean): string {
    if (def.pattern) return `captured nothing for "${name}": no output line matched /${def.pattern}/`;
    if (this.tooLong) return `captured nothing for "${name}": the output is over 8 MB, more than is read as JSON`;
    if (notJson) return `captured nothing for "${name}": the output is not JSON`;
    return `captured nothing for "${name}": the output's JSON has nothing at ${def.json}`;
  }
}
