// promote_from: a run in an environment that is promoted from another (production from staging)
// begins only after a run of the same runbook, same sha256, in that environment has every phase
// signed off, each sign-off and approval by a key the trust file lists for its signer. What was
// checked is recorded in the new run (its report names that run), never looked up again later.
import type { LoadedRunbook } from '../load/loader.js';
import { InputError } from '../runbook/errors.js';
import { approvalsInForce, type PromotedFrom, type RunState } from '../state/run-state.js';
import { storedRuns } from '../state/run-store.js';
import { checkProof, findTrustFile, readTrustFile, whyNotTrusted, type TrustFile } from '../state/trust.js';
import { approvalsMissing, phaseState } from './rules.js';
import type { SessionOptions } from './session-options.js';

/** Why a run does not vouch for the promotion, in a clause; undefined when it does. */
function whyNot(lr: LoadedRunbook, run: RunState, phases: string[], trust: TrustFile): string | undefined {
  for (const id of phases) {
    const ps = phaseState(run, id);
    const last = ps.history?.[ps.history.length - 1];
    if (ps.status !== 'signed-off' || last?.kind !== 'signed-off') return `its phase "${id}" is not signed off`;
    if (!last.signature) return `the sign-off of "${id}" by ${last.by} is not signed with a key`;
    const proofs = [
      { kind: 'sign-off' as const, phaseId: id, by: last.by, ...last.signature },
      ...approvalsInForce(ps).map((a) => ({ kind: 'approval' as const, phaseId: id, ...a })),
    ];
    for (const p of proofs) {
      // a signature copied from another run or phase signs that one, not this
      const lines = p.message.split('\n');
      const about =
        lines.includes(`run: ${run.runId}`) &&
        lines.some((l) => l.startsWith('runbook: ') && l.endsWith(` ${run.runbookHash}`)) &&
        lines.some((l) => l.startsWith(`phase: ${id} `));
      if (!about) return `the ${p.kind} of "${id}" by ${p.by} signs another run or phase`;
      const why = whyNotTrusted(checkProof(p, trust), trust.file);
      if (why) return `the ${p.kind} of "${id}" by ${p.by}: ${why}`;
    }
    if (approvalsMissing(lr.runbook, run, id)) return `"${id}" still awaits approvals`;
  }
  return undefined;
}

/** A run that may not begin yet: the environment it is promoted from has no run that vouches for it. */
export class PromotionRefused extends InputError {
  readonly refused = true;
}

function record(run: RunState, from: string, phases: string[]): PromotedFrom {
  return {
    environment: from,
    runId: run.runId,
    runbookHash: run.runbookHash,
    ...(run.audit ? { auditHead: run.audit } : {}),
    phases: phases.map((id) => {
      const ps = phaseState(run, id);
      const last = ps.history?.[ps.history.length - 1];
      return {
        id,
        by: last?.by ?? '?',
        at: last?.at,
        keyFingerprint: last?.signature?.keyFingerprint,
        ...(ps.reportDigest ? { reportDigest: ps.reportDigest } : {}),
      };
    }),
  };
}

/** The run a new run is promoted from, checked; undefined when its environment is promoted from none. */
export function promotionFor(lr: LoadedRunbook, opts: SessionOptions): PromotedFrom | undefined {
  const env = lr.environment;
  const from = env ? lr.runbook.environments[env]?.promote_from : undefined;
  if (!env || !from) return undefined;
  const head = `a ${env} run of "${lr.runbook.title}" begins only after a ${from} run of the same runbook`;
  const file = findTrustFile(opts.allowedSigners, lr.file, lr.runbook);
  if (!file)
    throw new PromotionRefused(
      `${head} is signed off by trusted keys, and there is no trust file to check them against: keep the ` +
        "team's allowed_signers beside the runbook (.waymark/allowed_signers), name it with allowed_signers:, " +
        'or give --allowed-signers FILE',
    );
  const trust = readTrustFile(file);
  const phases = lr.phasesIn?.[from] ?? [];
  const { label, runs } = storedRuns(opts);
  const reasons: string[] = [];
  for (const r of runs) {
    let run: RunState | undefined;
    try {
      run = r.load();
    } catch {
      continue;
    }
    if (!run || run.runbookId !== lr.runbook.id || run.environment !== from) continue;
    if (run.runbookHash !== lr.hash) {
      reasons.push(`run ${run.runId} was of another version of the runbook (sha256 ${run.runbookHash.slice(0, 12)})`);
      continue;
    }
    const why = whyNot(lr, run, phases, trust);
    if (!why) return record(run, from, phases);
    reasons.push(`run ${run.runId}: ${why}`);
  }
  throw new PromotionRefused(
    `${head} (sha256 ${lr.hash.slice(0, 12)}) has every phase signed off by keys ${file} trusts: ` +
      (reasons.length ? reasons.join('; ') : `there is no ${from} run of it in ${label}`),
  );
}
