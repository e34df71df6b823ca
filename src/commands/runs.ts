// `waymark runs [--json]`: every run in the state folder, where it stands and who holds it —
// what a second operator looks at before opening one.
import type { ParsedArgs } from './args.js';
import { out, sessionOptions } from './common.js';
import { storedRuns } from '../state/run-store.js';
import type { RunState } from '../state/run-state.js';

interface RunRow {
  file: string;
  runId?: string;
  runbook?: string;
  version?: string;
  createdAt?: string;
  updatedAt?: string;
  /** phases with a sign-off in force (approvals are the runbook's to count: `waymark status`) */
  phases?: { signedOff: number; started: number; current?: string };
  rehearsal?: boolean;
  environment?: string;
  /** who has it open now; stale: the holder's process is gone (the next start takes it over) */
  heldBy?: { operator: string; host: string; pid: number; since: string; stale: boolean; lastSeen?: string };
  problem?: string;
}

export async function runsCommand(a: ParsedArgs): Promise<number> {
  const { where, label, runs } = storedRuns(sessionOptions(a));
  const rows = runs.map((x) => {
    const r = describe(x.name, x.load);
    if (x.holder) r.heldBy = x.holder;
    return r;
  });
  return show(a, where, label, rows);
}

function show(a: ParsedArgs, where: object, label: string, rows: RunRow[]): number {
  if (a.flags.json) out(JSON.stringify({ ...where, runs: rows }, null, 2));
  else if (!rows.length) out(`no runs in ${label}`);
  else for (const r of rows) for (const l of lines(r)) out(l);
  return 0;
}

/** A run's row from its state; a state that cannot be read is named with why. */
function describe(file: string, read: () => RunState | undefined): RunRow {
  const r: RunRow = { file };
  let st: RunState | undefined;
  try {
    st = read();
  } catch (e) {
    r.problem = (e as Error).message;
  }
  if (st) {
    const phases = Object.values(st.phases);
    const signed = phases.filter((p) => p.status === 'signed-off');
    Object.assign(r, {
      runId: st.runId,
      runbook: st.runbookId,
      version: st.runbookVersion,
      createdAt: st.createdAt,
      updatedAt: st.updatedAt,
      rehearsal: !!st.rehearsal || undefined,
      environment: st.environment,
      phases: { signedOff: signed.length, started: phases.length, current: st.cursor?.scope },
    });
  }
  return r;
}

function lines(r: RunRow): string[] {
  const name = r.file
    .split('/')
    .pop()!
    .replace(/\.json$/, '');
  if (r.problem) return [`${name}: ${r.problem}`];
  const held = r.heldBy
    ? r.heldBy.stale
      ? `last held by ${r.heldBy.operator} on ${r.heldBy.host} (pid ${r.heldBy.pid}, gone): free`
      : `open by ${r.heldBy.operator} on ${r.heldBy.host} (pid ${r.heldBy.pid}) since ${r.heldBy.since}` +
        (r.heldBy.lastSeen ? `, last seen ${r.heldBy.lastSeen}` : '')
    : 'free';
  return [
    `${name}${r.rehearsal ? ' (rehearsal)' : ''}`,
    `    ${r.runbook} v${r.version}${r.environment ? ` · ${r.environment.toUpperCase()}` : ''} · ` +
      `run ${r.runId?.slice(0, 8)} started ${r.createdAt} · last change ${r.updatedAt}`,
    `    ${r.phases?.signedOff} phase(s) signed off${r.phases?.current ? ` · at ${r.phases.current}` : ''} · ${held}`,
  ];
}
