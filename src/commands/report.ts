import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { existsSync } from 'node:fs';
import { load, openSession, out } from './common.js';
import { phaseState } from '../phases/rules.js';
import { findPhase } from '../phases/lookups.js';

export async function reportCommand(a: ParsedArgs): Promise<number> {
  const format = (a.flags.format as string | undefined) ?? 'html';
  if (!['md', 'html', 'json'].includes(format))
    throw new UsageError(`--format must be md, html or json, not "${format}"`);
  if (a.flags.phase && a.flags.all) throw new UsageError('give --phase ID or --all, not both');
  const lr = await load(a);
  const named = a.flags['allowed-signers'] as string | undefined;
  if (named && !existsSync(named)) throw new UsageError(`cannot read the allowed signers file ${named}: no such file`);
  const phaseId = a.flags.phase as string | undefined;
  if (phaseId && !lr.runbook.phases.some((p) => p.id === phaseId))
    throw new UsageError(`unknown phase "${phaseId}"; phases: ${lr.runbook.phases.map((p) => p.id).join(', ')}`);
  let session;
  let note = '';
  try {
    // writing a report is not watching the system: no probes (a demo whose app is stopped would
    // otherwise record an "outage" in the very record the report is made from)
    session = await openSession(a, false, lr, { noProbes: true });
  } catch (e) {
    if ((e as Error).name !== 'LockError') throw e;
    session = await openSession(a, true, lr, { noProbes: true });
    note =
      " (the run is open in another session, so this report's digest is not recorded in the audit log; write " +
      'it from there with g)';
  }
  try {
    if (phaseId && phaseState(session.state, phaseId).status !== 'signed-off') {
      out(
        `"${findPhase(lr.runbook, phaseId)!.title}" is not signed off yet: a phase report is ` +
          `written after sign-off.`,
      );
      return 1;
    }
    const { writeReport } = await import('../report/write.js');
    const r = await writeReport(
      session,
      phaseId ? { phase: phaseId } : { all: true },
      format as 'md' | 'html' | 'json',
      a.flags.out as string | undefined,
      a.flags['allowed-signers'] as string | undefined,
    );
    out(r.file);
    process.stderr.write(`signed report written; digest sha256:${r.digest}${note}\n`);
    if (r.untrusted.length) {
      process.stderr.write(
        `the report is marked UNTRUSTED SIGN-OFF: the run's record holds ${r.untrusted.length} sign-off(s) or ` +
          `approval(s) that ${r.trustFile ?? 'no trust file'} does not vouch for; nobody should rely on it until ` +
          'that is explained (waymark audit --verify shows the record):\n' +
          r.untrusted.map((u) => `  - ${u}\n`).join(''),
      );
      return 1;
    }
    if (!r.trustFile)
      process.stderr.write(
        "note: no trust file (--allowed-signers, the runbook's allowed_signers, .waymark/allowed_signers): the " +
          "keys of the report's sign-offs were not checked; whoever reads it checks them with waymark verify\n",
      );
    return 0;
  } finally {
    await session.close();
  }
}
