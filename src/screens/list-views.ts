// View models of the list screens (phases, rollback procedures, troubleshooting, the plan):
// pure functions from the run and the rules layer to the lines a screen shows, already fitted
// to the width. The controller publishes them in its snapshot; the screens only draw them.
import type { Runbook } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { approvalsInForce, DONE, environmentLine } from '../state/run-state.js';
import { approvalsLine, phaseBlocker, phaseState, stepState } from '../phases/rules.js';
import { signoffHistoryLine } from '../phases/wording.js';
import { waitView } from '../phases/wait-words.js';
import { orderedProcedures, rollbackPlan } from '../phases/rollback-plan.js';
import { buildPlan, formatPlan } from '../phases/plan.js';
import type { Redactor } from '../runbook/redact.js';
import { CHECK_WORD, shortTime, truncate, wrapIndented } from './theme.js';
import type { CheckResult } from '../checks/types.js';
import type { Step } from '../runbook/schema.js';
import type { SuccessRow } from '../report/build.js';
import { currentPhase, findStep, scopeSteps, parseScope } from '../phases/rules.js';
import { fullLines, stepViewFor, type ViewLine } from './step-view.js';
import { successLines } from './success-view.js';
import { findPhase } from '../phases/lookups.js';
import { splitStepKey } from '../runbook/step-key.js';
import type { ValueRef } from '../runbook/values.js';

export interface ListLine {
  text: string;
  tone?: 'green' | 'cyan' | 'yellow' | 'red' | 'dim';
  selected?: boolean;
}

export interface ListView {
  title: string;
  lines: ListLine[];
  /** a scrolled view's line count, all of them (the cursor moves over these) */
  total?: number;
}

export interface ListInput {
  rb: Runbook;
  state: RunState;
  cursor: number;
  now: Date;
  width: number;
  height: number;
  redactor: Redactor;
  /** the steps screen's scope and selected step (for the whole-step view) */
  scope?: string;
  stepIndex?: number;
  live?: { key: string; lines: string[] };
  /** the runbook's folder, for the files an edit-env step names */
  dir: string;
  /** what an edit-env step would change: read by the caller (a file), given here */
  envDiff?: (step: Step) => string[];
  success?: { rows: SuccessRow[]; at: string };
  operator?: string;
  /** where the run is kept, when it is in a shared state database */
  keptIn?: string;
  /** what the session noticed on opening (a lock taken over, a target lock) */
  notices?: readonly string[];
  /** where Enter resumes */
  resumeAt?: { scope: string; index: number };
  /** the inputs and captured values the run has, written into the commands shown */
  values?: { value(ref: ValueRef, scope: string): string | undefined };
}

export function overviewView(v: ListInput): ListView {
  const { rb, state, now, width } = v;
  const lines: ListLine[] = [];
  rb.phases.forEach((p, i) => {
    const sel = i === v.cursor;
    const ps = phaseState(state, p.id);
    const done = p.steps.filter((s) => DONE.has(stepState(state, p.id, s.id).status)).length;
    const icon =
      ps.status === 'signed-off' ? '✔' : ps.status === 'active' ? '▶' : phaseBlocker(rb, state, p.id) ? '·' : '○';
    const reopened = (ps.history ?? []).some((h) => h.kind === 'reopened');
    const signed = ps.status === 'signed-off' ? `signed off ${shortTime(ps.signedOffAt)} by ${ps.signedOffBy}` : '';
    const detail =
      signed ||
      (reopened ? 'REOPENED — needs a new sign-off' : ps.startedAt ? `started ${shortTime(ps.startedAt)}` : '');
    const count = `${String(done).padStart(2)}/${p.steps.length}`;
    const head = `${sel ? '›' : ' '} ${icon} ${p.title.padEnd(40)} ${count}  ${detail}`;
    const tone = ps.status === 'signed-off' ? 'green' : ps.status === 'active' ? 'cyan' : undefined;
    lines.push({ text: truncate(head, width), tone, selected: sel });
    const waits = p.steps.filter((s) => s.kind === 'wait');
    for (const s of waits.filter((w) => !DONE.has(stepState(state, p.id, w.id).status)))
      // the hourglass is two columns wide
      lines.push(...wrapped(`      ⏳ ${s.title}: ${waitView(rb, state, s, now).short}`, width - 1, 'yellow'));
    for (const s of waits.filter((w) => stepState(state, p.id, w.id).status === 'overridden'))
      lines.push(
        ...wrapped(`      ≈ ${s.title}: OVERRIDDEN — ${stepState(state, p.id, s.id).reason ?? ''}`, width, 'red'),
      );
    if (reopened && sel) lines.push(...wrapped(`      ${signoffHistoryLine(ps)}`, width, 'dim'));
    // four eyes: who approved, and what is still missing before the next phase
    for (const a of approvalsInForce(ps))
      lines.push({ text: truncate(`      ✔ approved by ${a.by} ${shortTime(a.at)}`, width), tone: 'green' });
    const awaiting = approvalsLine(rb, state, p.id);
    // the command another operator types is said whole, wrapped, never cut
    if (awaiting) lines.push(...wrapped(`      ✋ ${awaiting}`, width - 1, 'yellow'));
    const pnr = p.point_of_no_return ?? p.steps.find((s) => s.point_of_no_return)?.point_of_no_return;
    if (pnr && ps.status !== 'signed-off' && sel)
      lines.push(...wrapped(`      ⚠ point of no return: ${pnr}`, width - 1, 'red'));
  });
  return { title: 'Phases', lines: toSelected(lines, v.height) };
}

export function rollbackView(v: ListInput): ListView {
  const { rb, state, width } = v;
  const plan = rollbackPlan(rb, state);
  const lines: ListLine[] = [
    ...wrapped(
      plan.length
        ? `Given what this run has done, in this order: ${plan.map((p, i) => `${i + 1}. ${p.title}`).join('  ')}`
        : 'Nothing in this run needs rolling back yet.',
      width,
    ),
    { text: ' ' },
  ];
  orderedProcedures(rb, state).forEach((r, i) => {
    const sel = i === v.cursor;
    const applies = plan.findIndex((p) => p.procedureId === r.id);
    const item = plan[applies];
    const head =
      `${sel ? '›' : ' '} ${applies >= 0 ? `${applies + 1}.` : '  '} ${r.title}${r.destructive ? ' ⚠' : ''}  ` +
      `(${r.steps.length} steps${item ? `, ${item.progress}` : ''})`;
    lines.push({ text: truncate(head, width), tone: applies >= 0 ? 'yellow' : undefined, selected: sel });
    if (r.when) lines.push(...wrapped(`      when: ${r.when}`, width, 'dim'));
    if (item) lines.push(...wrapped(`      undoes: ${item.undoes.join(', ')}`, width, 'dim'));
  });
  return { title: 'Rollback procedures', lines: toSelected(lines, v.height) };
}

export function troubleshootingView(v: ListInput): ListView {
  const { rb, width } = v;
  if (!rb.troubleshooting.length)
    return { title: 'Troubleshooting', lines: [{ text: 'This runbook has no troubleshooting entries.' }] };
  const lines: ListLine[] = [];
  rb.troubleshooting.forEach((t, i) => {
    const sel = i === v.cursor;
    lines.push(...wrapped(`${sel ? '›' : ' '} ${t.symptom}`, width).map((l) => ({ ...l, selected: sel })));
    const fixes = t.fixes.join(' · ') || '—';
    lines.push(...wrapped(`    ${t.diagnostics.length} diagnostics · fixes: ${fixes}`, width, 'dim'));
  });
  return { title: 'Troubleshooting — pick a symptom, Enter runs its diagnostics', lines: toSelected(lines, v.height) };
}

/** The dry-run plan, scrolled to the cursor: nothing here runs or writes anything. */
export function planView(v: ListInput): ListView {
  const all = formatPlan(buildPlan(v.rb, v.state, v.redactor, v.now)).flatMap((l) => wrapped(l, v.width));
  const { lines, top, total } = scrolled(all, v.cursor, v.height);
  return { title: `Plan (dry run) — lines ${top + 1}-${top + lines.length} of ${total}`, lines, total };
}

const VIEW_TONE: Partial<Record<NonNullable<ViewLine['tone']>, ListLine['tone']>> = {
  cmd: 'cyan',
  running: 'cyan',
  red: 'red',
  dim: 'dim',
  out: 'dim',
};

/** Lines scrolled to the cursor, with "a-b of n" for the title when they do not all fit. */
function scrolled(
  all: ListLine[],
  cursor: number,
  height: number,
): { lines: ListLine[]; where: string; total: number; top: number } {
  const rows = Math.max(3, height - 5);
  const top = Math.min(cursor, Math.max(0, all.length - rows));
  const where = all.length > rows ? `${top + 1}-${Math.min(all.length, top + rows)} of ${all.length}` : '';
  return { lines: all.slice(top, top + rows), where, total: all.length, top };
}

/** `v`: the whole selected step, wrapped and scrollable. */
export function stepView(v: ListInput): ListView {
  const scope = v.scope ?? '';
  const step = scopeSteps(v.rb, scope)?.[v.stepIndex ?? 0];
  if (!step) return { title: 'no step', lines: [] };
  const input = stepViewFor(
    { runbook: v.rb, lr: { dir: v.dir, redactor: v.redactor }, now: () => v.now, values: v.values },
    v.state,
    scope,
    step,
    v.live,
    v.width,
    v.envDiff?.(step) ?? [],
  );
  const status = stepState(v.state, scope, step.id).status;
  const all = fullLines(input).map((l) => ({
    text: l.text,
    tone: l.tone === 'status' ? STATUS_TONE[status] : l.tone ? VIEW_TONE[l.tone] : undefined,
  }));
  const { lines, where, total } = scrolled(all, v.cursor, v.height);
  return {
    // the step's own title: the phase it belongs to is where the operator came from (Esc)
    title: `${step.title}${where ? ` — lines ${where}, ↑↓ scroll` : ''}`,
    total,
    lines,
  };
}

const STATUS_TONE: Record<string, ListLine['tone']> = {
  running: 'cyan',
  passed: 'green',
  failed: 'red',
  skipped: 'yellow',
  overridden: 'yellow',
  interrupted: 'red',
};

/** G: the success criteria, live. */
export function successView(v: ListInput): ListView {
  const all: ListLine[] = v.success
    ? successLines(v.success.rows, v.width).map((l) => ({ text: l.text, tone: l.tone ? VIEW_TONE[l.tone] : undefined }))
    : [{ text: 'working out the criteria…', tone: 'dim' }];
  const { lines, where, total } = scrolled(all, v.cursor, v.height);
  return {
    total,
    title: `Success criteria${v.success ? ` as of ${v.success.at.slice(11, 19)}Z` : ''}${where ? ` — ${where}` : ''}`,
    lines,
  };
}

/** The title of a steps screen's scope: a phase, a rollback procedure or a troubleshooting entry. */
export function scopeTitle(rb: Runbook, scope: string): { title: string; sub?: string } {
  const s = parseScope(scope);
  if (s.kind === 'rollback') {
    const r = rb.rollback.find((x) => x.id === s.id);
    return { title: `Rollback: ${r?.title ?? scope}`, sub: r?.when };
  }
  if (s.kind === 'troubleshooting') {
    const t = rb.troubleshooting.find((x) => x.id === s.id);
    return { title: `Troubleshooting: ${t?.symptom ?? scope}` };
  }
  const p = findPhase(rb, scope);
  return { title: p ? `${p.title}${p.when ? ` (${p.when})` : ''}` : scope, sub: p?.objective };
}

export interface ChecksView extends ListView {
  /** the selected check: what it is, and its latest result (drawn by CheckResultView) */
  detail: { about: string; result?: CheckResult; evidenceRows: number; detailRows: number };
}

/** c: every check, its latest result at a glance, and the selected one in full. */
export function checksView(
  v: ListInput & { results: Record<string, CheckResult>; running: string[]; watch: boolean },
): ChecksView {
  const { rb, width, height } = v;
  const ids = Object.keys(rb.checks);
  const sel = Math.min(v.cursor, ids.length - 1);
  const listRows = Math.max(3, Math.min(ids.length, Math.floor((height - 6) / 2)));
  const start = Math.max(0, Math.min(sel - Math.floor(listRows / 2), ids.length - listRows));
  const lines: ListLine[] = ids.slice(start, start + listRows).map((cid, j) => {
    const r = v.results[cid] ?? v.state.checks[cid];
    const word = v.running.includes(cid) ? '…    ' : r ? CHECK_WORD[r.status].padEnd(5) : '—    ';
    const about = rb.checks[cid].title ?? rb.checks[cid].type;
    const text = `${start + j === sel ? '›' : ' '} ${word} ${cid.padEnd(24)} ${about}`;
    return { text: truncate(text, width), selected: start + j === sel, tone: r ? CHECK_TONE[r.status] : undefined };
  });
  lines.push({ text: '─'.repeat(Math.max(10, width)), tone: 'dim' });
  const id = ids[sel];
  const def = id ? rb.checks[id] : undefined;
  return {
    title: `Checks${v.watch ? ` — watching, every ${rb.monitoring?.interval ?? '30s'}` : ''}`,
    lines,
    detail: {
      about: id && def ? truncate(`${id} · ${def.type}${def.description ? ` · ${def.description}` : ''}`, width) : '',
      result: id ? (v.results[id] ?? v.state.checks[id]) : undefined,
      evidenceRows: Math.max(0, height - listRows - 13),
      detailRows: Math.max(4, height - listRows - 6),
    },
  };
}

/** m: the monitoring checks with their latest result and their alert thresholds. */
export function monitorView(v: ListInput & { results: Record<string, CheckResult>; running: string[] }): ListView {
  const { rb, width } = v;
  const mon = rb.monitoring;
  if (!mon || !mon.checks.length)
    return { title: 'Monitor', lines: [{ text: 'This runbook defines no monitoring checks.' }] };
  const lines: ListLine[] = [];
  for (const id of mon.checks) {
    const r = v.results[id];
    const alerts = mon.alerts.filter((a) => a.check === id);
    const value = alerts[0]?.metric && r ? r.metrics[alerts[0].metric] : undefined;
    const word = v.running.includes(id) && !r ? '…    ' : r ? CHECK_WORD[r.status].padEnd(6) : '—     ';
    const shown = value !== undefined ? ` ${alerts[0].metric}=${String(value)}` : '';
    lines.push({
      text: truncate(`${word}${(rb.checks[id].title ?? id).padEnd(44)}${shown}`, width),
      tone: r ? CHECK_TONE[r.status] : undefined,
    });
    if (r) lines.push(...wrapped(`      ${r.summary}`, width, 'dim'));
    for (const a of alerts) lines.push(...wrapped(`      alert when ${a.condition}`, width, 'yellow'));
  }
  return { title: `Monitor — refreshing every ${mon.interval}`, lines };
}

const CHECK_TONE: Record<CheckResult['status'], ListLine['tone']> = {
  pass: 'green',
  warn: 'yellow',
  fail: 'red',
  error: 'red',
};

/** The first screen: the target, the operator, notices, where the run stands, and what Enter does. */
export function startView(v: ListInput): ListView {
  const { rb, state, width } = v;
  const lines: ListLine[] = [...wrapped(`version ${rb.version}`, width, 'dim'), { text: ' ' }];
  // a value too long for its row wraps under itself: a target or a folder is never cut
  const row = (k: string, value: string, tone?: ListLine['tone']): ListLine[] => {
    const [first, ...rest] = wrapIndented(`${' '.repeat(16)}${value}`, width);
    return [`${k.padEnd(16)}${first.slice(16)}`, ...rest].map((text) => ({ text, tone }));
  };
  if (!Object.keys(state.target).length)
    lines.push(...row('target', 'none: this runbook has no database connections or data files', 'dim'));
  for (const [k, val] of Object.entries(state.target)) lines.push(...row(k, val));
  const environment = environmentLine(state);
  if (environment) lines.push(...row('environment', environment.slice('environment: '.length)));
  lines.push(...row('operator', v.operator ?? ''));
  if (v.keptIn) lines.push(...row('run kept in', `${v.keptIn} (shared; this session holds it)`));
  lines.push({ text: ' ' });
  for (const n of v.notices ?? []) lines.push(...wrapped(`notice: ${n}`, width, 'yellow'));
  const fresh = Object.keys(state.steps).length === 0;
  const rp = v.resumeAt;
  const phase = rp ? findPhase(rb, rp.scope) : currentPhase(rb, state);
  const rpStep = rp ? findPhase(rb, rp.scope)?.steps[rp.index] : undefined;
  if (fresh) lines.push({ text: `A new run: ${rb.phases.length} phases, starting with "${rb.phases[0].title}".` });
  else {
    const at = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}Z`;
    lines.push({ text: `Run started ${at(state.createdAt)}, last change ${at(state.updatedAt)}.` });
    if (phase) lines.push(...wrapped(`You stopped in: ${phase.title}${rpStep ? ` → ${rpStep.title}` : ''}`, width));
    else lines.push({ text: 'Every phase is signed off.', tone: 'green' });
    const interrupted = Object.entries(state.steps).find(([, s]) => s.status === 'interrupted');
    if (interrupted) {
      const { scope, stepId } = splitStepKey(interrupted[0]);
      const title = findStep(rb, scope, stepId)?.title;
      const there = interrupted[1].elsewhere;
      const text = there
        ? `! "${title}" may still be running on ${there.host} (process group ${there.pid}): confirm it has ` +
          'stopped there (Enter, d or s asks how you know) before it is re-run or marked done.'
        : `! "${title}" was interrupted: re-run it (Enter), mark it done (d) or skip it (s).`;
      lines.push(...wrapped(text, width, 'red'));
    }
  }
  lines.push({ text: ' ' });
  const drift = state.drift && !state.drift.acknowledgedAt ? state.drift : undefined;
  if (drift) {
    lines.push({ text: 'The runbook changed since this run began:', tone: 'yellow' });
    for (const c of drift.changed.slice(0, 6)) lines.push(...wrapped(`  • ${c}`, width));
    lines.push({ text: 'Press a to acknowledge the changes (recorded), then Enter.' });
  } else lines.push({ text: fresh ? ' Press Enter to begin ' : ' Press Enter to Resume ', selected: true });
  return { title: rb.title, lines };
}

function wrapped(text: string, width: number, tone?: ListLine['tone']): ListLine[] {
  return wrapIndented(text, width).map((t) => ({ text: t, tone }));
}

/** The lines that fit the screen, the selected one among them: a long list scrolls instead of running off it. */
function toSelected(lines: ListLine[], height: number): ListLine[] {
  const rows = Math.max(3, height - 4);
  if (lines.length <= rows) return lines;
  const at = Math.max(
    0,
    lines.findIndex((l) => l.selected),
  );
  const top = Math.max(0, Math.min(at - Math.floor(rows / 3), lines.length - rows));
  return lines.slice(top, top + rows);
}

export const LIST_VIEWS = {
  start: startView,
  overview: overviewView,
  rollback: rollbackView,
  troubleshooting: troubleshootingView,
  plan: planView,
  step: stepView,
  success: successView,
} as const;
