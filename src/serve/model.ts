// What a watcher sees of a run, as plain data: the page (serve) and the metrics render it. Made
// from the runbook and the run's state alone, as the session that writes them left them.
import type { Runbook } from '../runbook/schema.js';
import type { RunState, OutputTailLine } from '../state/run-state.js';
import { environmentLine, rehearsalLabel } from '../state/run-state.js';
import { approvalsLine, approvalsMissing, currentPhase, gateStatus, phaseState, stepState } from '../phases/rules.js';
import { signoffHistoryLine } from '../phases/wording.js';

export interface WatchStep {
  id: string;
  title: string;
  kind: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
  by?: string;
}

export interface WatchPhase {
  id: string;
  title: string;
  status: string;
  signoff?: string;
  approvalsAwaited: number;
  awaiting?: string;
  gate: Array<{ check: string; status: string; summary?: string }>;
  steps: WatchStep[];
}

export interface WatchModel {
  runbook: { id: string; title: string; version: string };
  /** environment: the line said on screens; environmentName: the name alone (a metric's label) */
  run: {
    id: string;
    startedAt: string;
    updatedAt: string;
    environment?: string;
    environmentName?: string;
    rehearsal?: string;
  };
  /** who holds the run now (the session writing it), if one does */
  holder?: string;
  phases: WatchPhase[];
  current?: string;
  running?: { phase: string; step: string; title: string; since?: string; output: OutputTailLine[] };
  checks: Array<{
    id: string;
    title: string;
    status: string;
    summary: string;
    at: string;
    metrics: Record<string, unknown>;
  }>;
}

export function watchModel(rb: Runbook, st: RunState, holder?: string): WatchModel {
  let running: WatchModel['running'];
  const phases = rb.phases.map((p): WatchPhase => {
    const ps = phaseState(st, p.id);
    const steps = p.steps.map((s): WatchStep => {
      const ss = stepState(st, p.id, s.id);
      if (ss.status === 'running')
        running = {
          phase: p.id,
          step: s.id,
          title: s.title,
          since: ss.startedAt,
          output: (ss.outputTail ?? []).slice(-20),
        };
      return {
        id: s.id,
        title: s.title,
        kind: s.kind,
        status: ss.status,
        startedAt: ss.startedAt,
        finishedAt: ss.finishedAt,
        by: ss.operator,
      };
    });
    return {
      id: p.id,
      title: p.title,
      status: ps.status,
      signoff: ps.history?.length ? signoffHistoryLine(ps) : undefined,
      approvalsAwaited: approvalsMissing(rb, st, p.id),
      awaiting: approvalsLine(rb, st, p.id),
      gate: gateStatus(rb, st, p.id).map((g) => ({ check: g.checkId, status: g.status, summary: g.result?.summary })),
      steps,
    };
  });
  return {
    runbook: { id: rb.id, title: rb.title, version: String(rb.version) },
    run: {
      id: st.runId,
      startedAt: st.createdAt,
      updatedAt: st.updatedAt,
      environment: environmentLine(st),
      environmentName: st.environment,
      rehearsal: rehearsalLabel(st.rehearsal),
    },
    holder,
    phases,
    current: currentPhase(rb, st)?.id,
    running,
    checks: Object.entries(st.checks).map(([id, r]) => ({
      id,
      title: rb.checks[id]?.title ?? id,
      status: r.status,
      summary: r.summary,
      at: r.startedAt,
      metrics: r.metrics,
    })),
  };
}
