// Webhook notifications (`notify:` in the runbook): a team hears of a sign-off, an override, a
// failed gate, a rollback or a monitoring alert without watching the operator's screen.
//
// Each is a JSON POST with Slack's `text` and the facts as fields, sent after the event is in
// the audit log. Sending never holds up the run: the session hands the event over and goes on;
// a webhook that is slow or down is retried with backoff in the background, and what could not
// be delivered is written to the audit log (`notify.failed`), so nothing is lost unseen. The
// URL is a secret (a Slack webhook's path is its token): only its host is ever named.
import type { NOTIFY_EVENT_NAMES, Runbook } from '../runbook/schema.js';
import type { AuditEntry, AuditHead } from '../state/audit.js';
import { stepKey, type RunState } from '../state/run-state.js';
import type { Redactor } from '../runbook/redact.js';
import { findPhase } from './lookups.js';

export type NotifyEvent = (typeof NOTIFY_EVENT_NAMES)[number];

export interface Notification {
  event: NotifyEvent;
  text: string;
  fields: Record<string, unknown>;
}

const data = (e: AuditEntry) => (e.data ?? {}) as Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The notification an audit entry makes, if any. `before` is the run's state before the
 * entry's event: a rollback has started when its procedure had no step begun.
 */
export function notificationFor(e: AuditEntry, rb: Runbook, before: RunState): Notification | undefined {
  const d = data(e);
  const who = `${e.operator} on ${e.host}`;
  const phaseTitle = (id: string) => findPhase(rb, id)?.title ?? id;
  switch (e.event) {
    // told once the sign-off is signed (or could not be): the message carries the key and the head it signed
    case 'phase.signature': {
      const id = str(d.phaseId);
      const head = d.auditHead as { seq: number; hash: string } | undefined;
      return {
        event: 'signoff',
        text: `${who} signed off phase ${id} "${phaseTitle(id)}" with key ${str(d.keyFingerprint)}`,
        fields: {
          phase: id,
          statement: before.phases[id]?.statement,
          key: d.keyFingerprint,
          signed: head ? { head: { seq: head.seq, sha256: head.hash }, key: d.keyFingerprint } : undefined,
        },
      };
    }
    case 'phase.signature-failed': {
      const id = str(d.phaseId);
      return {
        event: 'signoff',
        text: `${who} signed off phase ${id} "${phaseTitle(id)}", NOT signed: ${str(d.reason)}`,
        fields: { phase: id, statement: before.phases[id]?.statement, unsigned: d.reason },
      };
    }
    case 'report.written':
      return reportWritten(d, who);
    case 'gate.override':
      return {
        event: 'override',
        text: `${who} overrode gate check ${str(d.checkId)} of phase ${str(d.phaseId)}: ${str(d.reason)}`,
        fields: { kind: 'gate', phase: d.phaseId, check: d.checkId, reason: d.reason },
      };
    case 'wait.override':
    case 'step.skip':
    case 'step.mark-done': {
      const what = e.event === 'wait.override' ? 'ended the wait' : e.event === 'step.skip' ? 'skipped' : 'marked done';
      return {
        event: 'override',
        text: `${who} ${what} ${str(d.scope)}/${str(d.stepId)}: ${str(d.reason)}`,
        fields: { kind: e.event, scope: d.scope, step: d.stepId, reason: d.reason },
      };
    }
    case 'check.result':
    case 'step.finished':
      return checkFailed(
        rb,
        before,
        (e.event === 'step.finished' ? d.check : d) as Record<string, unknown> | undefined,
      );
    case 'probe.outage':
      return {
        event: 'monitoring-alert',
        text:
          `probe ${str(d.probe)} saw an outage of ${Math.round(Number(d.ms) / 100) / 10} s ` +
          `(${String(d.failed)} failed requests: ${str(d.firstError)})`,
        fields: { probe: d.probe, outage: d },
      };
    case 'step.start':
    case 'step.confirm':
      return rollbackStarted(rb, before, str(d.scope), d.stepId, who);
    default:
      return undefined;
  }
}

/** A signed report written: its digest and the chain head it names, for a witness to keep. */
function reportWritten(d: Record<string, unknown>, who: string): Notification {
  const head = d.auditHead as { seq: number; hash: string } | undefined;
  const scope = str(d.scope);
  return {
    event: 'report',
    text:
      `${who} wrote the ${scope === 'all' ? 'migration' : `phase ${scope}`} report (${str(d.format)}, ` +
      `sha256:${str(d.digest)}) with key ${str(d.keyFingerprint)}`,
    fields: {
      scope,
      format: d.format,
      digest: d.digest,
      key: d.keyFingerprint,
      report: head ? { head: { seq: head.seq, sha256: head.hash } } : undefined,
    },
  };
}

/** A check run by itself, or by a check step: told once when it starts failing, not at every run. */
function checkFailed(rb: Runbook, before: RunState, c: Record<string, unknown> | undefined): Notification | undefined {
  if (!c || (c.status !== 'fail' && c.status !== 'error')) return undefined;
  const id = str(c.id);
  const prev = before.checks[id]?.status;
  if (prev === 'fail' || prev === 'error') return undefined;
  const gates = rb.phases.filter((p) => p.gate.includes(id)).map((p) => p.id);
  const check = { id, status: c.status, summary: c.summary };
  const said = `${String(c.status).toUpperCase()} — ${str(c.summary)}`;
  if (gates.length)
    return {
      event: 'gate-failed',
      text: `gate check ${id} of phase ${gates.join(', ')}: ${said}`,
      fields: { phases: gates, check },
    };
  if (rb.monitoring?.checks.includes(id))
    return { event: 'monitoring-alert', text: `monitoring check ${id}: ${said}`, fields: { check } };
  return undefined;
}

/** A rollback procedure's first step begun: the rollback has started. */
function rollbackStarted(
  rb: Runbook,
  before: RunState,
  scope: string,
  stepId: unknown,
  who: string,
): Notification | undefined {
  if (!scope.startsWith('rollback:')) return undefined;
  const proc = rb.rollback.find((r) => `rollback:${r.id}` === scope);
  const begun = proc?.steps.some((s) => (before.steps[stepKey(scope, s.id)]?.status ?? 'pending') !== 'pending');
  if (!proc || begun) return undefined;
  return {
    event: 'rollback-started',
    text: `${who} started rollback "${proc.title}"`,
    fields: { rollback: proc.id, step: stepId },
  };
}

/**
 * Every notification an audit entry makes: a sign-off of a phase that needs approvals also
 * asks for them; an approval is told as part of the sign-off.
 */
export function notificationsFor(e: AuditEntry, rb: Runbook, before: RunState): Notification[] {
  const n = notificationFor(e, rb, before);
  const d = data(e);
  if (e.event === 'phase.approve') {
    const a = (d.approval ?? {}) as Record<string, unknown>;
    const phase = findPhase(rb, String(d.phaseId));
    return [
      {
        event: 'signoff',
        text: `${str(a.by)} approved the sign-off of phase ${str(d.phaseId)} "${phase?.title ?? ''}"`,
        fields: { phase: d.phaseId, approvedBy: a.by, key: a.keyFingerprint },
      },
    ];
  }
  if (n?.event !== 'signoff') return n ? [n] : [];
  const phase = findPhase(rb, String(n.fields.phase));
  const more = (phase?.approvals ?? 1) - 1;
  if (!phase || more < 1) return [n];
  return [
    n,
    {
      event: 'approval-needed',
      text:
        `phase ${phase.id} "${phase.title}" needs ${more} more approval${more > 1 ? 's' : ''} before the next ` +
        `phase starts: another operator runs waymark approve --phase ${phase.id}`,
      fields: { phase: phase.id, approvalsNeeded: more, signedOffBy: e.operator },
    },
  ];
}

export interface Target {
  url: string;
  events?: readonly NotifyEvent[];
}

export interface NotifierOptions {
  /** the runbook, the run and how to record what could not be sent */
  runbook: Runbook;
  runId: string;
  redactor: Redactor;
  record: (event: string, data: unknown) => void;
  /** attempts per notification, the first wait between them (doubled each time), one attempt's limit */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** "webhook 1 (hooks.slack.com)": how a target is named anywhere it is named */
export function targetLabel(t: Target, i: number): string {
  let host = 'not a URL';
  try {
    host = new URL(t.url).host;
  } catch {
    /* said as it is */
  }
  return `webhook ${i + 1} (${host})`;
}

/** Sends notifications in the background, in order per webhook; never throws, never waits for the caller. */
export class Notifier {
  private readonly queues: Array<Promise<void>>;
  private readonly stop = new AbortController();
  private closing = false;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly targets: Target[],
    private readonly o: NotifierOptions,
  ) {
    this.queues = targets.map(() => Promise.resolve());
    this.attempts = o.attempts ?? 5;
    this.backoffMs = o.backoffMs ?? 1000;
    this.timeoutMs = o.timeoutMs ?? 5000;
  }

  /** An audit entry was written: its notification, if it makes one, is queued for each webhook that wants it. */
  observe(entry: AuditEntry, before: RunState, head: AuditHead): void {
    const rehearsal = Boolean(before.rehearsal);
    if (this.closing) return;
    for (const n of notificationsFor(entry, this.o.runbook, before)) this.send(n, entry, head, rehearsal);
  }

  private send(n: Notification, entry: AuditEntry, head: AuditHead, rehearsal: boolean): void {
    const rb = this.o.runbook;
    // the chain head of the line that made it: whoever keeps these messages is a witness of the log
    // (`waymark audit --verify --witness`); a sign-off's, an approval's and a report's say it in their text too
    const witnessed = n.event === 'signoff' || n.event === 'report';
    const headText = ` · run ${this.o.runId.slice(0, 8)} · audit head ${head.seq} sha256:${head.hash}`;
    const body = this.o.redactor.redactDeep({
      // a receiver that sees the same id twice (a retry after an answer that was lost) keeps one
      id: `${this.o.runId}:${entry.seq}`,
      text: `${rehearsal ? '[rehearsal] ' : ''}Waymark · ${rb.title}: ${n.text}${witnessed ? headText : ''}`,
      head: { seq: head.seq, sha256: head.hash },
      event: n.event,
      runbook: { id: rb.id, title: rb.title, version: rb.version },
      run: this.o.runId,
      seq: entry.seq,
      at: entry.at,
      operator: entry.operator,
      host: entry.host,
      rehearsal,
      ...n.fields,
    });
    this.targets.forEach((t, i) => {
      if (t.events && !t.events.includes(n.event)) return;
      this.queues[i] = this.queues[i].then(() => this.deliver(t, i, body, n.event, entry.seq));
    });
  }

  private async deliver(t: Target, i: number, body: Record<string, unknown>, event: NotifyEvent, seq: number) {
    const fetchFn = this.o.fetch ?? fetch;
    let error = '';
    let attempt = 0;
    for (; attempt < this.attempts && !this.stop.signal.aborted; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1), this.stop.signal);
      if (this.stop.signal.aborted) break;
      // the timeout held by a timer of its own: a signal of AbortSignal.timeout() that only
      // AbortSignal.any() refers to can be garbage-collected, and the request then waits for ever
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new DOMException('no answer in time', 'TimeoutError')),
        this.timeoutMs,
      );
      try {
        const r = await fetchFn(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.any([this.stop.signal, timeout.signal]),
        });
        await r.arrayBuffer().catch(() => undefined);
        if (r.ok) return;
        error = `HTTP ${r.status}`;
        // the webhook refused this notification itself: sending it again would not change that
        if (r.status < 500 && r.status !== 408 && r.status !== 429) {
          attempt++;
          break;
        }
      } catch (e) {
        if (this.stop.signal.aborted) break; // cut short by closing, said below
        error = describe(e, this.timeoutMs);
      } finally {
        clearTimeout(timer);
      }
    }
    if (this.stop.signal.aborted && !error) error = 'waymark was closing';
    else if (this.stop.signal.aborted) error += '; waymark was closing';
    this.failed(t, i, event, seq, attempt, error);
  }

  private failed(t: Target, i: number, event: NotifyEvent, seq: number, attempts: number, error: string): void {
    try {
      this.o.record(
        'notify.failed',
        this.o.redactor.redactDeep({ webhook: targetLabel(t, i), event, seq, attempts, error }),
      );
    } catch {
      /* the session can no longer write (a full disk): it has said so already */
    }
  }

  /**
   * Lets what is queued go out for up to `ms`; then stops, and what was not delivered is
   * recorded as not sent. The session calls this before it closes its audit log.
   */
  async close(ms = 5000): Promise<void> {
    this.closing = true;
    const all = Promise.all(this.queues);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
    if ((await Promise.race([all, late])) === 'late') {
      this.stop.abort();
      await all;
    }
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** What went wrong, in words: no stack, no raw code where there is a plainer way to say it. */
function describe(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  return err.cause?.message ?? err.message;
}
