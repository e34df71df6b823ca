import type { ParsedArgs } from './args.js';
import type { Session } from '../phases/session.js';
import { openSession, out } from './common.js';
import {
  phaseState,
  stepState,
  nextStep,
  currentPhase,
  gateStatus,
  approvalsLine,
  approvalsMissing,
} from '../phases/rules.js';
import { waitView } from '../phases/wait-words.js';
import { signoffHistoryLine } from '../phases/wording.js';
import { environmentLine, rehearsalLabel } from '../state/run-state.js';

export async function statusCommand(a: ParsedArgs): Promise<number> {
  const s = await openSession(a, true);
  const rb = s.runbook;
  const st = s.state;
  if (s.isNew) {
    if (a.flags.json) out(JSON.stringify({ run: null, runbook: rb.id, version: rb.version, target: st.target }));
    else
      out(
        `No run yet of "${rb.title}" against ${Object.values(st.target).join(', ') || 'this target'} (state ` +
          `in ${s.keptIn ? `the state database ${s.keptIn}` : s.paths.state}).`,
      );
    await s.close();
    return 0;
  }
  if (a.flags.json) {
    out(JSON.stringify(statusJson(s), null, 2));
    await s.close();
    return 0;
  }
  out(`${rb.title} v${rb.version} — run ${st.runId.slice(0, 8)} started ${st.createdAt}`);
  if (s.keptIn) out(`kept in the state database ${s.keptIn}`);
  const environment = environmentLine(st);
  if (environment) out(environment);
  const rehearsal = rehearsalLabel(st.rehearsal);
  if (rehearsal) out(`${rehearsal} — a rehearsal: its times are on the moved clock`);
  out(
    `target: ${Object.entries(st.target)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (st.drift && !st.drift.acknowledgedAt)
    out(`! the runbook changed since this run began: ${st.drift.changed.join('; ')}`);
  for (const p of rb.phases) {
    const ps = phaseState(st, p.id);
    const done = p.steps.filter((x) =>
      ['passed', 'skipped', 'overridden'].includes(stepState(st, p.id, x.id).status),
    ).length;
    const icon = ps.status === 'signed-off' ? '✔' : ps.status === 'active' ? '▶' : '·';
    out(`  ${icon} ${p.title.padEnd(44)} ${String(done).padStart(2)}/${p.steps.length} ${ps.status}`);
    if (ps.history?.length) out(`      ${signoffHistoryLine(ps)}`);
    const awaiting = approvalsLine(rb, st, p.id);
    if (awaiting) out(`      ${awaiting.toUpperCase().slice(0, 1)}${awaiting.slice(1)}`);
    for (const x of p.steps) {
      const ss = stepState(st, p.id, x.id);
      if (ss.status === 'interrupted' || ss.status === 'failed')
        out(`      ${ss.status.toUpperCase()}: ${x.title}${ss.message ? ` — ${ss.message}` : ''}`);
      if (x.kind === 'wait' && ss.status === 'overridden')
        out(`      OVERRIDDEN: ${x.title} passed early by ${ss.operator} — ${ss.reason}`);
      if (x.kind === 'wait' && ss.status === 'pending')
        out(`      wait: ${x.title} ${waitView(rb, st, x, s.now()).short}`);
    }
  }
  const cur = currentPhase(rb, st);
  const nx = cur && nextStep(rb, st, cur.id);
  const waiting = cur && approvalsLine(rb, st, cur.id);
  out(
    cur
      ? `next: ${cur.title}${waiting ? ` → ${waiting}` : nx ? ` → ${nx.title}` : ' → sign-off'}`
      : 'all phases signed off',
  );
  await s.close();
  return 0;
}

/** `status --json`: the run, each phase with its steps and gate. */
function statusJson(s: Session) {
  const rb = s.runbook;
  const st = s.state;
  const phases = rb.phases.map((p) => ({
    id: p.id,
    title: p.title,
    ...phaseState(st, p.id),
    signoffLine: signoffHistoryLine(phaseState(st, p.id)) || undefined,
    approvalsNeeded: approvalsMissing(rb, st, p.id) || undefined,
    steps: p.steps.map((x) => {
      const ss = stepState(st, p.id, x.id);
      return { id: x.id, status: ss.status, attempts: ss.history?.length ?? 0, reason: ss.reason };
    }),
    gate: gateStatus(rb, st, p.id).map((g) => ({ check: g.checkId, status: g.status })),
  }));
  const rehearsal = !!st.rehearsal;
  const doc = {
    runId: st.runId,
    runbook: rb.id,
    version: rb.version,
    target: st.target,
    ...(st.environment ? { environment: st.environment } : {}),
    ...(st.promotedFrom ? { promotedFrom: st.promotedFrom } : {}),
    createdAt: st.createdAt,
    updatedAt: st.updatedAt,
    keptIn: s.keptIn,
  };
  return { ...doc, rehearsal, clockOffset: st.rehearsal?.offset, drift: st.drift, phases };
}
