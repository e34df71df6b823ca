// Command-line arguments, below every command: commands import this, never the cli module
// that dispatches to them (that would point an import up the layers).
import { UsageError } from '../runbook/errors.js';

export interface CommandSpec {
  usage: string;
  summary: string;
  flags: string[];
  /** `commands` is the whole table, for a command that runs others (waymark demo status) */
  run: (args: ParsedArgs, commands: Record<string, CommandSpec>) => Promise<number>;
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
  /** a fixed run identity, set by `waymark demo` */
  fingerprint?: string;
  /** each --var NAME=VALUE: an input's value (never a secret one: the process list shows it) */
  vars?: Record<string, string>;
}

const VALUE_FLAGS = new Set([
  'runbook',
  'state-dir',
  'state-url',
  'operator',
  'phase',
  'format',
  'out',
  'users',
  'key',
  'allowed-signers',
  'witness',
  'reason',
  'confirm-stopped',
  'seconds',
  'load',
  'env',
  'template',
  'port',
  'host',
  'metrics-port',
]);
export const COMMON = [
  '--runbook FILE',
  '--state-dir DIR',
  '--state-url URL',
  '--operator NAME',
  '--key FILE',
  '--env NAME',
  '--help',
  '--version',
];

export function parseArgs(argv: string[], allowed: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  const vars: Record<string, string> = {};
  const ok = new Set([...allowed, ...COMMON].map((f) => f.replace(/^--/, '').split(' ')[0]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (!ok.has(name)) throw new UsageError(`unknown option --${name}`);
      if (name === 'var') {
        const v = inline ?? argv[++i] ?? '';
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
        if (!m) throw new UsageError(`--var takes NAME=VALUE (an input of the runbook), not "${v}"`);
        vars[m[1]] = m[2];
        continue;
      }
      if (VALUE_FLAGS.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        flags[name] = v;
      } else flags[name] = true;
    } else if (a === '-h') flags.help = true;
    else positional.push(a);
  }
  return { positional, flags, ...(Object.keys(vars).length ? { vars } : {}) };
}
