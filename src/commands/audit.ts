import { existsSync } from 'node:fs';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, runFilesFor, out } from './common.js';
import { readAudit, readLines, verifyAudit } from '../state/audit.js';
import { StateStore } from '../state/store.js';
import { changesState } from '../phases/replay.js';
import { checkSignoffSignatures } from '../state/signoff-signature.js';
import { checkApprovalSignatures } from '../state/approvals.js';

export async function auditCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const paths = await runFilesFor(a, lr);
  // no log and no state: there is no run here (a wrong --state-dir or runbook, or one killed before
  // its first line), not a broken log
  if (!existsSync(paths.audit) && !existsSync(paths.state)) {
    const what = a.flags.verify ? 'verify' : 'show';
    const why = `no run of "${lr.runbook.title}" in ${paths.where}: no audit log to ${what}`;
    if (!a.flags.json) throw new UsageError(`${why}; check --state-dir and --runbook`);
    out(JSON.stringify({ file: paths.label, entries: 0, ok: false, noRun: true, problem: why }));
    return 2;
  }
  if (a.flags.verify) {
    // the state names the last line it includes: a log cut or rewritten after it shows
    let head: { seq: number; hash: string } | undefined;
    try {
      head = new StateStore(paths.state).load()?.audit;
    } catch {
      /* a damaged state: the chain is still checked */
    }
    const v = verifyAudit(paths.audit, head);
    const { lines } = readLines(paths.audit);
    // each signed sign-off names the chain head it saw: a log rewritten since no longer has it
    const signoffs = checkSignoffSignatures(readAudit(paths.audit), lines).map(({ publicKey, ...rest }) => rest);
    const approvals = checkApprovalSignatures(readAudit(paths.audit)).map(({ publicKey, ...rest }) => rest);
    const bad = [...signoffs, ...approvals].filter((x) => x.problem);
    const ok = v.ok && !bad.length;
    const { after, ...result } = v;
    // entries after the state's head that change state: a crash between the two writes
    const behind = (after ?? []).filter(changesState).length;
    if (a.flags.json) out(JSON.stringify({ file: paths.label, ...result, behind, ok, signoffs, approvals }));
    else {
      if (!v.ok) out(`audit log BROKEN at line ${v.badLine}: ${v.problem} (${paths.label})`);
      else
        out(
          `audit log intact: ${v.entries} entries, hash chain ` +
            `verified${head ? ', and it holds every event the state includes' : ''} (${paths.label})`,
        );
      if (behind)
        out(`  ${behind} event(s) after the state's last: a crash between the two writes; the next start replays them`);
      for (const x of signoffs)
        out(
          x.problem
            ? `  sign-off of ${x.phaseId} (line ${x.seq}) BROKEN: ${x.problem}`
            : `  sign-off of ${x.phaseId} signed by ${x.signer} (${x.keyFingerprint}): verified against this log`,
        );
      for (const x of approvals)
        out(
          x.problem
            ? `  approval of ${x.phaseId} by ${x.by} (line ${x.seq}) BROKEN: ${x.problem}`
            : `  approval of ${x.phaseId} by ${x.by} (${x.keyFingerprint}): signature valid`,
        );
    }
    return ok ? 0 : 1;
  }
  const entries = readAudit(paths.audit);
  if (a.flags.json) {
    for (const e of entries) out(JSON.stringify(e));
    return 0;
  }
  if (!entries.length) out(`no audit log yet for this runbook and target (${paths.label})`);
  for (const e of entries)
    out(
      `${String(e.seq).padStart(4)} ${e.at}  ${e.operator.padEnd(12)} ${e.event}${e.data ? '  ' + brief(e.data) : ''}`,
    );
  return 0;
}

function brief(data: unknown): string {
  const s = JSON.stringify(data);
  return s.length > 140 ? s.slice(0, 137) + '...' : s;
}
