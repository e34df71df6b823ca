// The command surface. Kept light: each command's module is imported only when
// that command runs, so `waymark --help` and the TUI's first frame stay fast.
import { InputError, UsageError, formatProblem } from './runbook/errors.js';

export const VERSION = '0.1.0';

interface CommandSpec {
  usage: string;
  summary: string;
  flags: string[];
  run: (args: ParsedArgs) => Promise<number>;
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
  /** a fixed run identity, set by `waymark demo` */
  fingerprint?: string;
}

const VALUE_FLAGS = new Set(['runbook', 'state-dir', 'operator', 'phase', 'format', 'out', 'users', 'key', 'allowed-signers', 'reason', 'seconds', 'load']);
const COMMON = ['--runbook FILE', '--state-dir DIR', '--operator NAME', '--key FILE', '--help', '--version'];

export function parseArgs(argv: string[], allowed: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
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
      if (VALUE_FLAGS.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        flags[name] = v;
      } else flags[name] = true;
    } else if (a === '-h') flags.help = true;
    else positional.push(a);
  }
  return { positional, flags };
}

const lazy =
  <K extends string>(mod: () => Promise<Record<K, (a: ParsedArgs) => Promise<number>>>, name: K) =>
  async (a: ParsedArgs) =>
    (await mod())[name](a);

export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    usage: 'waymark run [--non-interactive] [--phase ID] [--yes]',
    summary: 'walk the runbook: the TUI on a terminal, plain output otherwise',
    flags: ['--non-interactive', '--phase ID', '--yes'],
    run: lazy(() => import('./commands/run.js'), 'runCommand'),
  },
  validate: {
    usage: 'waymark validate [FILE] [--json]',
    summary: 'check a runbook; every error as FILE:LINE:COL: message (exit 2 when invalid)',
    flags: ['--json'],
    run: lazy(() => import('./commands/validate.js'), 'validateCommand'),
  },
  schema: {
    usage: 'waymark schema',
    summary: 'print the JSON Schema of the runbook format',
    flags: [],
    run: lazy(() => import('./commands/validate.js'), 'schemaCommand'),
  },
  status: {
    usage: 'waymark status [--json]',
    summary: 'where the run stands',
    flags: ['--json'],
    run: lazy(() => import('./commands/status.js'), 'statusCommand'),
  },
  check: {
    usage: 'waymark check --list | waymark check ID [--json]',
    summary: "list the runbook's checks, or run one now",
    flags: ['--list', '--json'],
    run: lazy(() => import('./commands/check.js'), 'checkCommand'),
  },
  audit: {
    usage: 'waymark audit [--json] [--verify]',
    summary: 'print the audit log; --verify checks its hash chain (exit 1 on a break)',
    flags: ['--json', '--verify'],
    run: lazy(() => import('./commands/audit.js'), 'auditCommand'),
  },
  report: {
    usage: 'waymark report [--phase ID | --all] [--format md|html|json] [--out FILE]',
    summary: 'write a signed report of a phase or of the whole migration',
    flags: ['--phase ID', '--all', '--format md|html|json', '--out FILE'],
    run: lazy(() => import('./commands/report.js'), 'reportCommand'),
  },
  verify: {
    usage: 'waymark verify REPORT_FILE [--allowed-signers FILE]',
    summary: 'intact and signed by a trusted key: exit 0; altered or untrusted: 1; no trust file: 3',
    flags: ['--allowed-signers FILE'],
    run: lazy(() => import('./commands/report.js'), 'verifyCommand'),
  },
  key: {
    usage: 'waymark key [--key FILE]',
    summary: "print the operator's line for an allowed_signers file (the key that signs)",
    flags: [],
    run: lazy(() => import('./commands/report.js'), 'keyCommand'),
  },
  reopen: {
    usage: 'waymark reopen --phase ID --reason TEXT',
    summary: 'reopen a signed-off phase: its sign-off is voided (kept in the record) until signed again',
    flags: ['--phase ID', '--reason TEXT'],
    run: lazy(() => import('./commands/report.js'), 'reopenCommand'),
  },
  plan: {
    usage: 'waymark plan [--phase ID] [--json]',
    summary: 'dry run: every step as it would run now; nothing is executed or written',
    flags: ['--phase ID', '--json'],
    run: lazy(() => import('./commands/plan.js'), 'planCommand'),
  },
  rollback: {
    usage: 'waymark rollback --plan [--json]',
    summary: 'which rollback procedures apply now, in order',
    flags: ['--plan', '--json'],
    run: lazy(() => import('./commands/plan.js'), 'rollbackCommand'),
  },
  probe: {
    usage: 'waymark probe [--seconds N]',
    summary: "run the runbook's availability probes alone (no session open), into the run's audit log",
    flags: ['--seconds N'],
    run: lazy(() => import('./commands/probe.js'), 'probeCommand'),
  },
  repair: {
    usage: 'waymark repair',
    summary: 'rebuild the run\'s state from its audit log (damaged files are set aside, never deleted)',
    flags: [],
    run: lazy(() => import('./commands/repair.js'), 'repairCommand'),
  },
  reset: {
    usage: 'waymark reset',
    summary: 'archive the current run and start a new one (nothing is deleted)',
    flags: [],
    run: lazy(() => import('./commands/status.js'), 'resetCommand'),
  },
  demo: {
    usage: 'waymark demo [--reset] [--load N] [--non-interactive --yes] | waymark demo status|audit|report|verify|plan|rollback|check ...',
    summary: 'embedded PostgreSQL + the Flux Studio sample app, then the TUI; with a command, that command on the demo run',
    flags: ['--reset', '--non-interactive', '--yes', '--phase ID', '--json', '--list', '--verify', '--all', '--plan', '--format FMT', '--out FILE', '--allowed-signers FILE', '--reason TEXT', '--seconds N', '--load N'],
    run: lazy(() => import('./commands/demo.js'), 'demoCommand'),
  },
};

function mainHelp(): string {
  const lines = [
    `waymark ${VERSION} — an interactive runbook assistant for risky database operations`,
    '',
    'usage: waymark [COMMAND] [--runbook FILE] [--state-dir DIR] [--operator NAME]',
    '       (no command opens the TUI on ./runbook.yaml, like `waymark run`)',
    '',
    'commands:',
    // two lines a command: readable in an 80-column terminal
    ...Object.values(COMMANDS).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '',
    'on every command: --runbook FILE (default ./runbook.yaml), --state-dir DIR (or WAYMARK_STATE_DIR),',
    '                  --operator NAME (or WAYMARK_OPERATOR), --key FILE (or WAYMARK_SIGNING_KEY), --help, --version',
    'exit codes: 0 ok, 1 a check, gate or verification failed, 2 bad input or usage, 3 verify: no trust file,',
    '            130 interrupted',
  ];
  return lines.join('\n');
}

function commandHelp(name: string, c: CommandSpec): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'options:', ...[...c.flags, ...COMMON].map((f) => `  ${f}`)].join('\n');
}

/**
 * When the reader of our output is gone (a closed terminal after SIGHUP, `| head`),
 * writes fail with EIO or EPIPE. Nothing is lost by not printing them, while the
 * default (an uncaught error) would kill Waymark before it records the interrupted
 * step and releases its locks.
 */
function ignoreVanishedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EIO' || e.code === 'EPIPE') return;
      setImmediate(() => {
        throw e;
      });
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  ignoreVanishedOutput();
  try {
    const first = argv[0];
    if (first === '--version' || first === '-v') {
      console.log(VERSION);
      return 0;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      console.log(mainHelp());
      return 0;
    }
    const name = first && !first.startsWith('-') ? first : 'run';
    const rest = first && !first.startsWith('-') ? argv.slice(1) : argv;
    const cmd = COMMANDS[name];
    if (!cmd) throw new UsageError(`unknown command "${name}"; run waymark --help`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(commandHelp(name, cmd));
      return 0;
    }
    if (rest.includes('--version')) {
      console.log(VERSION);
      return 0;
    }
    const args = parseArgs(rest, cmd.flags);
    return await cmd.run(args);
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof InputError) {
    if (e.problems.length) for (const p of e.problems) console.error(formatProblem(p));
    else console.error(`waymark: ${e.message}`);
    return 2;
  }
  if (e instanceof UsageError) {
    console.error(`waymark: ${e.message}`);
    return 2;
  }
  if ((e as Error)?.name === 'LockError') {
    console.error(`waymark: ${(e as Error).message}`);
    console.error('  hint: finish or quit that session first; a lock whose process is gone is taken over automatically');
    return 1;
  }
  console.error(`waymark: ${(e as Error)?.message ?? String(e)}`);
  if (process.env.WAYMARK_DEBUG) console.error((e as Error)?.stack);
  return 1;
}
