// The command surface. Kept light: each command's module is imported only when
// that command runs, so `waymark --help` and the TUI's first frame stay fast.
import { InputError, UsageError, formatProblem } from './runbook/errors.js';
import type { CommandSpec, ParsedArgs } from './commands/args.js';
import { parseArgs, COMMON } from './commands/args.js';
import { COMMANDS } from './commands/table.js';
import { describeSystemError } from './commands/system-error.js';
import { VERSION } from './version.js';

export { parseArgs, COMMANDS, VERSION, type ParsedArgs };

function mainHelp(): string {
  const lines = [
    `waymark ${VERSION} — an interactive runbook assistant for risky database operations`,
    '',
    'usage: waymark [COMMAND] [--runbook FILE] [--state-dir DIR] [--operator NAME]',
    '       (no command opens the TUI on ./runbook.yaml, else ./runbook.md, like `waymark run`)',
    '',
    'commands:',
    // two lines a command: readable in an 80-column terminal
    ...Object.values(COMMANDS).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '',
    'on every command: --runbook FILE (default ./runbook.yaml, else ./runbook.md),',
    '                  --state-dir DIR (or WAYMARK_STATE_DIR),',
    '                  --state-url URL (or WAYMARK_STATE_URL: the run lives in that PostgreSQL database),',
    '                  --operator NAME (or WAYMARK_OPERATOR), --key FILE (or WAYMARK_SIGNING_KEY), --help, --version',
    'exit codes: 0 ok, 1 a check, gate or verification failed, 2 bad input or usage, 3 verify: no trust file,',
    '            130 interrupted',
  ];
  return lines.join('\n');
}

function commandHelp(name: string, c: CommandSpec): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'options:', ...[...c.flags, ...COMMON].map((f) => `  ${f}`)].join(
    '\n',
  );
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
    return await cmd.run(args, COMMANDS);
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
  if ((e as Error)?.name === 'KeyError') {
    console.error(`waymark: ${(e as Error).message}`);
    return 2;
  }
  const sys = describeSystemError(e);
  if (sys) {
    console.error(`waymark: ${sys.message}\n  hint: ${sys.hint}`);
    if (process.env.WAYMARK_DEBUG) console.error((e as Error)?.stack);
    return sys.exitCode;
  }
  if ((e as Error)?.name === 'LockError') {
    console.error(`waymark: ${(e as Error).message}`);
    console.error(
      '  hint: finish or quit that session first; a lock whose process is gone is taken over automatically',
    );
    return 1;
  }
  console.error(`waymark: ${(e as Error)?.message ?? String(e)}`);
  if (process.env.WAYMARK_DEBUG) console.error((e as Error)?.stack);
  return 1;
}
