// edit-env steps: set KEY=VALUE in an env file, shown as a diff first, written
// whole or not at all (the one write path, durable.ts) after a timestamped backup of the old file.
import { existsSync, readFileSync, copyFileSync } from 'node:fs';
import { writeWhole } from '../state/durable.js';

export interface EnvChange {
  key: string;
  from: string | undefined;
  to: string;
}

function lineKey(line: string): string | undefined {
  const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(line);
  return m?.[1];
}

function valueOf(line: string): string {
  const raw = line
    .slice(line.indexOf('=') + 1)
    .replace(/\s+#.*$/, '')
    .trim();
  return raw.replace(/^(['"])(.*)\1$/, '$2');
}

export function planEnvEdit(file: string, set: Record<string, string | number | boolean>): EnvChange[] {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const current = new Map<string, string>();
  for (const line of text.split('\n')) {
    const k = lineKey(line);
    if (k) current.set(k, valueOf(line));
  }
  return Object.entries(set).map(([key, v]) => ({ key, from: current.get(key), to: String(v) }));
}

/** Applies the edit; returns the backup path (undefined when the file did not exist). */
export function applyEnvEdit(
  file: string,
  set: Record<string, string | number | boolean>,
  now = new Date(),
): string | undefined {
  const exists = existsSync(file);
  const text = exists ? readFileSync(file, 'utf8') : '';
  const lines = text.length ? text.replace(/\n$/, '').split('\n') : [];
  const pending = new Map(Object.entries(set).map(([k, v]) => [k, String(v)]));
  const out = lines.map((line) => {
    const k = lineKey(line);
    if (k && pending.has(k)) {
      const v = pending.get(k)!;
      pending.delete(k);
      const comment = /\s+#.*$/.exec(line.slice(line.indexOf('=') + 1))?.[0] ?? '';
      return `${k}=${quote(v)}${comment}`;
    }
    return line;
  });
  for (const [k, v] of pending) out.push(`${k}=${quote(v)}`);
  let backup: string | undefined;
  if (exists) {
    backup = `${file}.bak-${now.toISOString().replace(/[:.]/g, '-')}`;
    copyFileSync(file, backup);
  }
  writeWhole(file, out.join('\n') + '\n');
  return backup;
}

function quote(v: string): string {
  return /[\s#"']/.test(v) ? JSON.stringify(v) : v;
}

/** Changes first, as -/+ lines; keys already at their value are named on one line after. */
export function formatEnvDiff(changes: EnvChange[], mask: (s: string) => string = (s) => s): string[] {
  const out: string[] = [];
  const unchanged: string[] = [];
  for (const c of changes) {
    if (c.from === c.to) unchanged.push(c.key);
    else {
      if (c.from !== undefined) out.push(`- ${c.key}=${mask(c.from)}`);
      out.push(`+ ${c.key}=${mask(c.to)}`);
    }
  }
  if (unchanged.length) out.push(`  already set: ${unchanged.join(', ')}`);
  return out;
}
