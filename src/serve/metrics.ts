// The run as Prometheus metrics (prom-client, text format): each phase's state, the step running
// and for how long, gate results, approvals awaited, the monitoring checks' values, and what the
// session's availability probes saw (from the audit log: it never probes on its own). Labelled
// with the runbook, the run and its environment, so one Prometheus scrapes several runs apart.
import { Counter, Gauge, Registry } from 'prom-client';
import type { WatchModel } from './model.js';

/** What the session's probes recorded: each summary and failure window, as the audit log holds them. */
export interface ProbeRecord {
  probe: string;
  ok: number;
  failed: number;
  maxLatencyMs: number;
  /** failures by what went wrong (a status, a refused connection, a timeout) */
  causes: Record<string, number>;
  /** the last window's end, and whether it failed */
  lastFailedAt?: string;
  lastAt?: string;
}

const PHASE_STATES = ['pending', 'active', 'signed-off'];

export class RunMetrics {
  readonly registry = new Registry();
  private g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [this.registry] });
  private phase = this.g('waymark_phase_state', 'Each phase in its state (1) or not (0)', ['phase', 'state']);
  private approvals = this.g('waymark_phase_approvals_awaited', 'Approvals a signed-off phase still needs', ['phase']);
  private step = this.g('waymark_step_running', 'The step running now (1)', ['phase', 'step']);
  private stepSeconds = this.g('waymark_step_running_seconds', 'How long the running step has run', ['phase', 'step']);
  private gate = this.g('waymark_gate_passed', 'A gate check passed or was overridden (1) or not (0)', [
    'phase',
    'check',
  ]);
  private check = this.g('waymark_check_passed', "A check's last result passed (1) or not (0)", ['check']);
  private value = this.g('waymark_check_value', "A check's last numeric metric", ['check', 'metric']);
  private up = this.g('waymark_probe_up', "The probe's last answer was good (1) or not (0)", ['probe']);
  // counters: the audit log's totals, counted again at each scrape (they only grow while the run lasts)
  private c = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [this.registry] });
  private answers = this.c('waymark_probe_answers_total', 'Answers the probe got, good and failed', [
    'probe',
    'result',
  ]);
  private failures = this.c('waymark_probe_failures_total', 'Failed answers by cause', ['probe', 'cause']);
  private latency = this.g('waymark_probe_latency_max_seconds', 'The slowest good answer so far', ['probe']);

  /** The metrics of the run as the model says it is now. */
  async render(m: WatchModel, probes: ProbeRecord[], now = new Date()): Promise<string> {
    this.registry.resetMetrics();
    this.registry.setDefaultLabels({
      runbook: m.runbook.id,
      run_id: m.run.id,
      environment: m.run.environmentName ?? '',
    });
    for (const p of m.phases) {
      for (const s of PHASE_STATES) this.phase.set({ phase: p.id, state: s }, p.status === s ? 1 : 0);
      this.approvals.set({ phase: p.id }, p.approvalsAwaited);
      for (const g of p.gate)
        this.gate.set({ phase: p.id, check: g.check }, /passed|overridden/.test(g.status) ? 1 : 0);
    }
    if (m.running) {
      const labels = { phase: m.running.phase, step: m.running.step };
      this.step.set(labels, 1);
      const since = m.running.since ? Date.parse(m.running.since) : NaN;
      if (!Number.isNaN(since)) this.stepSeconds.set(labels, Math.max(0, (now.getTime() - since) / 1000));
    }
    for (const c of m.checks) {
      this.check.set({ check: c.id }, c.status === 'pass' || c.status === 'warn' ? 1 : 0);
      for (const [k, v] of Object.entries(c.metrics))
        if (typeof v === 'number' && Number.isFinite(v)) this.value.set({ check: c.id, metric: k }, v);
    }
    for (const p of probes) {
      this.up.set({ probe: p.probe }, p.lastFailedAt && p.lastFailedAt === p.lastAt ? 0 : 1);
      this.answers.inc({ probe: p.probe, result: 'ok' }, p.ok);
      this.answers.inc({ probe: p.probe, result: 'failed' }, p.failed);
      for (const [cause, n] of Object.entries(p.causes)) this.failures.inc({ probe: p.probe, cause }, n);
      this.latency.set({ probe: p.probe }, p.maxLatencyMs / 1000);
    }
    return this.registry.metrics();
  }
}

/** The probes' records from the audit log's probe.summary and probe.outage events. */
export function probeRecords(entries: Array<{ event: string; data?: unknown }>): ProbeRecord[] {
  const by = new Map<string, ProbeRecord>();
  const get = (probe: string) => {
    let r = by.get(probe);
    if (!r) by.set(probe, (r = { probe, ok: 0, failed: 0, maxLatencyMs: 0, causes: {} }));
    return r;
  };
  for (const e of entries) {
    const d = e.data as Record<string, unknown> | undefined;
    if (!d || typeof d.probe !== 'string') continue;
    const r = get(d.probe);
    if (e.event === 'probe.summary') {
      r.ok += Number(d.ok) || 0;
      r.failed += Number(d.failed) || 0;
      r.maxLatencyMs = Math.max(r.maxLatencyMs, Number(d.maxLatencyMs) || 0);
      r.lastAt = String(d.to);
    } else if (e.event === 'probe.outage') {
      const cause = (typeof d.firstError === 'string' && d.firstError ? d.firstError : 'unknown').slice(0, 60);
      r.causes[cause] = (r.causes[cause] ?? 0) + (Number(d.failed) || 0);
      r.lastFailedAt = String(d.end);
      r.lastAt = String(d.end);
    }
  }
  return [...by.values()];
}
