// Every command: its usage, summary, flags, and its module, imported only when the command runs
// (so `waymark --help` and the TUI's first frame stay fast). The cli dispatches through it and
// hands it to the command, so `waymark demo status` needs no import of the table (no cycle).
import type { CommandSpec, ParsedArgs } from './args.js';

type Run = (a: ParsedArgs, commands: Record<string, CommandSpec>) => Promise<number>;
const lazy =
  <K extends string>(mod: () => Promise<Record<K, Run>>, name: K): Run =>
  async (a, commands) =>
    (await mod())[name](a, commands);

export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    usage:
      'waymark run [--non-interactive] [--phase ID] [--yes] [--var NAME=VALUE …] [--confirm-stopped REASON] ' +
      '[--new-run] [--allowed-signers FILE]',
    summary:
      'walk the runbook: the TUI on a terminal, plain output otherwise (--new-run: start a run in a state ' +
      'database that has none of this runbook; the TUI asks)',
    flags: [
      '--non-interactive',
      '--phase ID',
      '--yes',
      '--var NAME=VALUE',
      '--confirm-stopped REASON',
      '--new-run',
      '--allowed-signers FILE',
    ],
    run: lazy(() => import('./run.js'), 'runCommand'),
  },
  validate: {
    usage: 'waymark validate [FILE] [--json] [--strict]',
    summary: 'check a runbook; every error as FILE:LINE:COL: message (exit 2 when invalid; --strict: also on warnings)',
    flags: ['--json', '--strict'],
    run: lazy(() => import('./validate.js'), 'validateCommand'),
  },
  import: {
    usage: 'waymark import FILE [--out runbook.md|runbook.yaml]',
    summary:
      'a runbook written for people (Markdown) made into a Waymark runbook (or a YAML one written as Markdown); ' +
      "never overwrites; lists what needs a person's attention",
    flags: ['--out FILE'],
    run: lazy(() => import('./import.js'), 'importCommand'),
  },
  init: {
    usage: 'waymark init [--template dual-write-migration|zero-downtime-deploy|restore-drill] [--out FILE]',
    summary: 'a small commented runbook to start from (runbook.md; --out FILE.yaml for YAML); never overwrites',
    flags: ['--template NAME', '--out FILE'],
    run: lazy(() => import('./init.js'), 'initCommand'),
  },
  completion: {
    usage: 'waymark completion bash|zsh',
    summary: 'the shell completion script: eval "$(waymark completion bash)" in ~/.bashrc',
    flags: [],
    run: lazy(() => import('./completion.js'), 'completionCommand'),
  },
  watch: {
    usage: 'waymark watch',
    summary: 'the run in the TUI, read-only, followed live as another session walks it (A approves)',
    flags: [],
    run: lazy(() => import('./watch.js'), 'watchCommand'),
  },
  serve: {
    usage: 'waymark serve [--port N] [--host ADDR --token]',
    summary:
      'the run read-only in a browser, live; its reports, its audit log, /metrics for Prometheus (any address ' +
      'but loopback needs --token, or WAYMARK_SERVE_TOKEN)',
    flags: ['--port N', '--host ADDR', '--token'],
    run: lazy(() => import('./serve.js'), 'serveCommand'),
  },
  schema: {
    usage: 'waymark schema',
    summary: 'print the JSON Schema of the runbook format',
    flags: [],
    run: lazy(() => import('./schema.js'), 'schemaCommand'),
  },
  status: {
    usage: 'waymark status [--json]',
    summary: 'where the run stands',
    flags: ['--json'],
    run: lazy(() => import('./status.js'), 'statusCommand'),
  },
  check: {
    usage: 'waymark check --list | waymark check ID [--json] [--explain]',
    summary: "list the runbook's checks, or run one now (--explain: which server, and where each setting came from)",
    flags: ['--list', '--json', '--explain'],
    run: lazy(() => import('./check.js'), 'checkCommand'),
  },
  audit: {
    usage: 'waymark audit [--json] [--verify [--allowed-signers FILE] [--witness FILE]]',
    summary:
      'print the audit log; --verify checks its hash chain, every sign-off and approval against the trusted ' +
      'keys, and the chain heads a witness holds (exit 1 on a break, an untrusted key or a rewrite; 3 no trust file)',
    flags: ['--json', '--verify', '--allowed-signers FILE', '--witness FILE'],
    run: lazy(() => import('./audit.js'), 'auditCommand'),
  },
  report: {
    usage: 'waymark report [--phase ID | --all] [--format md|html|json] [--out FILE] [--allowed-signers FILE]',
    summary:
      'write a signed report of a phase or of the whole migration (exit 1, marked UNTRUSTED SIGN-OFF, when a ' +
      'sign-off in it is by a key the trust file does not list for its name)',
    flags: ['--phase ID', '--all', '--format md|html|json', '--out FILE', '--allowed-signers FILE'],
    run: lazy(() => import('./report.js'), 'reportCommand'),
  },
  verify: {
    usage: 'waymark verify REPORT_FILE [--allowed-signers FILE]',
    summary: 'intact and signed by a trusted key: exit 0; altered or untrusted: 1; no trust file: 3',
    flags: ['--allowed-signers FILE'],
    run: lazy(() => import('./verify.js'), 'verifyCommand'),
  },
  key: {
    usage: 'waymark key [--key FILE]',
    summary: "print the operator's line for an allowed_signers file (the key that signs)",
    flags: [],
    run: lazy(() => import('./key.js'), 'keyCommand'),
  },
  runs: {
    usage: 'waymark runs [--json] [--state-url URL]',
    summary: 'every run in the state folder (or database): its runbook, where it stands, and who has it open',
    flags: ['--json'],
    run: lazy(() => import('./runs.js'), 'runsCommand'),
  },
  state: {
    usage: 'waymark state export|import',
    summary: 'move a run, with its whole history, from a state database into the folder (export) or back (import)',
    flags: [],
    run: lazy(() => import('./state.js'), 'stateCommand'),
  },
  approve: {
    usage: 'waymark approve --phase ID',
    summary: "approve another operator's sign-off of a phase that needs more than one signature, with your own key",
    flags: ['--phase ID'],
    run: lazy(() => import('./approve.js'), 'approveCommand'),
  },
  reopen: {
    usage: 'waymark reopen --phase ID --reason TEXT',
    summary: 'reopen a signed-off phase: its sign-off is voided (kept in the record) until signed again',
    flags: ['--phase ID', '--reason TEXT'],
    run: lazy(() => import('./reopen.js'), 'reopenCommand'),
  },
  plan: {
    usage: 'waymark plan [--phase ID] [--json]',
    summary: 'dry run: every step as it would run now; nothing is executed or written',
    flags: ['--phase ID', '--json'],
    run: lazy(() => import('./plan.js'), 'planCommand'),
  },
  rollback: {
    usage: 'waymark rollback --plan [--json]',
    summary: 'which rollback procedures apply now, in order',
    flags: ['--plan', '--json'],
    run: lazy(() => import('./rollback.js'), 'rollbackCommand'),
  },
  probe: {
    usage: 'waymark probe [--seconds N] [--metrics-port N]',
    summary:
      "run the runbook's availability probes alone (no session open), into the run's audit log; " +
      '--metrics-port: their Prometheus metrics on 127.0.0.1',
    flags: ['--seconds N', '--metrics-port N'],
    run: lazy(() => import('./probe.js'), 'probeCommand'),
  },
  repair: {
    usage: 'waymark repair',
    summary: "rebuild the run's state from its audit log (damaged files are set aside, never deleted)",
    flags: [],
    run: lazy(() => import('./repair.js'), 'repairCommand'),
  },
  reset: {
    usage: 'waymark reset',
    summary: 'archive the current run and start a new one (nothing is deleted)',
    flags: [],
    run: lazy(() => import('./reset.js'), 'resetCommand'),
  },
  demo: {
    usage:
      'waymark demo [--reset] [--load N] [--shared-state] [--non-interactive --yes] | waymark demo ' +
      'status|audit|report|verify|plan|rollback|check ...',
    summary:
      'embedded PostgreSQL + the Flux Studio sample app, then the TUI; with a command, that command on the demo run',
    flags: [
      '--reset',
      '--non-interactive',
      '--yes',
      '--phase ID',
      '--json',
      '--list',
      '--verify',
      '--all',
      '--plan',
      '--format FMT',
      '--out FILE',
      '--allowed-signers FILE',
      '--witness FILE',
      '--reason TEXT',
      '--seconds N',
      '--load N',
      '--shared-state',
      '--var NAME=VALUE',
    ],
    run: lazy(() => import('./demo.js'), 'demoCommand'),
  },
};
