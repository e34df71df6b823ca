import { existsSync } from 'node:fs';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, runFilesFor, out } from './common.js';
import { readAudit } from '../state/audit.js';
import { verifyAuditCommand } from './audit-verify.js';

export async function auditCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const paths = runFilesFor(a, lr);
  // no log and no state: there is no run here (a wrong --state-dir or runbook, or one killed before
  // its first line), not a broken log
  if (!existsSync(paths.audit) && !existsSync(paths.state)) {
    const what = a.flags.verify ? 'verify' : 'show';
    const why = `no run of "${lr.runbook.title}" in ${paths.where}: no audit log to ${what}`;
    if (!a.flags.json) throw new UsageError(`${why}; check --state-dir and --runbook`);
    out(JSON.stringify({ file: paths.label, entries: 0, ok: false, noRun: true, problem: why }));
    return 2;
  }
  if (a.flags.verify) return verifyAuditCommand(a, lr, paths);
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
