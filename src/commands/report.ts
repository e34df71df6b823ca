import type { ParsedArgs } from '../cli.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out } from './common.js';
import { phaseState } from '../phases/engine.js';

export async function reportCommand(a: ParsedArgs): Promise<number> {
  const format = (a.flags.format as string | undefined) ?? 'html';
  if (!['md', 'html', 'json'].includes(format)) throw new UsageError(`--format must be md, html or json, not "${format}"`);
  if (a.flags.phase && a.flags.all) throw new UsageError('give --phase ID or --all, not both');
  const lr = load(a);
  const phaseId = a.flags.phase as string | undefined;
  if (phaseId && !lr.runbook.phases.some((p) => p.id === phaseId)) throw new UsageError(`unknown phase "${phaseId}"; phases: ${lr.runbook.phases.map((p) => p.id).join(', ')}`);
  let session;
  let note = '';
  try {
    session = await openSession(a, false, lr);
  } catch (e) {
    if ((e as Error).name !== 'LockError') throw e;
    session = await openSession(a, true, lr);
    note = ' (the run is open in another session, so this report\'s digest is not recorded in the audit log; write it from there with g)';
  }
  try {
    if (phaseId && phaseState(session.state, phaseId).status !== 'signed-off') {
      out(`"${lr.runbook.phases.find((p) => p.id === phaseId)!.title}" is not signed off yet: a phase report is written after sign-off.`);
      return 1;
    }
    const { writeReport } = await import('../report/write.js');
    const r = writeReport(session, phaseId ? { phase: phaseId } : { all: true }, format as 'md' | 'html' | 'json', a.flags.out as string | undefined);
    out(r.file);
    process.stderr.write(`signed report written; digest sha256:${r.digest}${note}\n`);
    return 0;
  } finally {
    await session.close();
  }
}

export async function verifyCommand(a: ParsedArgs): Promise<number> {
  const file = a.positional[0];
  if (!file) throw new UsageError('name the report file: waymark verify REPORT_FILE');
  const { verifyReportFile } = await import('../report/verify.js');
  let v;
  try {
    v = verifyReportFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (v.ok) {
    const s = v.report!.signature;
    out(`intact: "${v.report!.body.title}" (${v.format}), signed by ${s.operator} with key ${s.keyFingerprint}; digest sha256:${s.digest}`);
    return 0;
  }
  out(`ALTERED or invalid: ${file}`);
  for (const p of v.problems) out(`  - ${p}`);
  return 1;
}
