// What runs in the background of an open session: the runbook's availability probes, the watch
// on steps a stopped Waymark left running, the approvals inbox polled for other operators'
// approvals, a follower reading the run again, and the runbook's webhooks. Each reports to the
// session through the hooks it is given; none writes the run itself.
import type { Runbook } from '../runbook/schema.js';
import type { Redactor } from '../runbook/redact.js';
import type { RunState } from '../state/run-state.js';
import { Prober, type ProbeSummary, type ProbeWindow } from './probe.js';
import { Notifier, targetLabel } from './notify.js';
import type { Recorder } from './recorder.js';
import type { RunStore } from '../state/run-store.js';

export class Watchers {
  /** the runbook's availability probes, running while the session is open */
  readonly probes: Prober[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** What the probes see goes to the audit log; `during` names the step running now, charged with an outage. */
  startProbes(rb: Runbook, rec: Recorder, during: () => string | undefined): void {
    const onWindow = (w: ProbeWindow) => {
      rec.note('probe.outage', w);
      rec.emit({ state: rec.state });
    };
    const onSummary = (s: ProbeSummary) => rec.note('probe.summary', s);
    for (const [id, def] of Object.entries(rb.probes ?? {})) {
      const p = new Prober(id, def, { during, onWindow, onSummary });
      this.probes.push(p);
      p.start();
    }
    // a summary at least every 10 s, so each phase's span has the probe's record
    if (this.probes.length) this.every('probes', 10_000, () => this.flushProbes());
  }

  /**
   * A follower reads the run again every second (the folder's state file, or the database's row)
   * and shows it when another session changed it. It never writes: not the state, not the log.
   */
  follow(store: RunStore, rec: Recorder, onHolder: (holder: string | undefined) => void): void {
    let last: string | undefined | null = null;
    const tick = () => {
      try {
        const next = store.reread(rec.state.updatedAt);
        if (next) rec.emit({ state: (rec.state = next) });
        // the operator's session ending, or another taking over, is said as it happens
        const holder = store.holderName();
        if (holder !== last) {
          last = holder;
          onHolder(holder);
          rec.emit({ state: rec.state });
        }
      } catch {
        /* a file being replaced, or the database away for a moment: the next second tries again */
      }
    };
    tick();
    this.every('follow', 1000, tick);
  }

  /** The probes' record so far: before a sign-off, it belongs to the phase signed off. */
  flushProbes(): void {
    this.probes.forEach((p) => p.flush());
  }

  /** Calls `fn` every `ms` until it returns false or the watchers stop; one timer per name. */
  every(name: string, ms: number, fn: () => boolean | void): void {
    if (this.timers.has(name)) return;
    const t = setInterval(() => {
      if (fn() === false) this.cancel(name);
    }, ms);
    t.unref?.();
    this.timers.set(name, t);
  }

  cancel(name: string): void {
    clearInterval(this.timers.get(name));
    this.timers.delete(name);
  }

  stop(): void {
    for (const name of [...this.timers.keys()]) this.cancel(name);
    for (const p of this.probes) p.stop();
  }
}

/**
 * The runbook's webhooks; one whose URL is empty (its var not set) is off, and the operator is
 * told. Undefined when none is on.
 */
export function startWebhooks(
  rb: Runbook,
  run: Pick<RunState, 'runId'>,
  redactor: Redactor,
  record: (event: string, data: unknown) => void,
  notice: (text: string) => void,
  opts: { attempts?: number; backoffMs?: number; timeoutMs?: number } = {},
): Notifier | undefined {
  const targets = rb.notify ?? [];
  targets.forEach((t, i) => {
    if (!t.url.trim()) notice(`notify: webhook ${i + 1} is off: its URL is empty (is its var set?)`);
    else if (!/^https?:\/\//i.test(t.url)) notice(`notify: ${targetLabel(t, i)} is not an http(s) URL`);
  });
  const on = targets.filter((t) => t.url.trim());
  if (!on.length) return undefined;
  return new Notifier(on, { runbook: rb, runId: run.runId, redactor, record, ...opts });
}
