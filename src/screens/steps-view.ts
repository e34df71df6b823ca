// The steps screen as a view model: a phase's (or procedure's, or diagnostic's) steps as rows,
// the selected step's detail fitted to what is left of the terminal, the gate and the fixes.
// Pure: the env file a step would edit is read by the caller and given here.
import type { Step } from '../runbook/schema.js';
import type { CheckResult } from '../checks/types.js';
import type { RunState, StepStatus } from '../state/run-state.js';
import type { Runbook } from '../runbook/schema.js';
import { approvalsLine, gateStatus, parseScope, phaseState, scopeSteps, stepState } from '../phases/rules.js';
import { waitView } from '../phases/wait-words.js';
import { STEP_ICON, truncate, wrapIndented } from './theme.js';
import { scopeTitle, type ListInput, type ListLine } from './list-views.js';
import { detailLines, stepParts, stepViewFor, type ViewLine } from './step-view.js';
import { findPhase } from '../phases/lookups.js';
import { stepKey } from '../runbook/step-key.js';

export interface StepsView {
  title: string;
  sub?: string;
  rows: Array<{ text: string; status: StepStatus; selected: boolean }>;
  /** "3/13" when the list does not show every step */
  counter?: string;
  detailRows: number;
  detail: ViewLine[];
  /** the selected step's status (its status line's colour) and, while it runs, since when */
  status: StepStatus;
  since?: number;
  /** a check step's latest result, drawn by CheckResultView under the detail */
  check?: { result: CheckResult; maxRows: number };
  gate?: string;
  fix?: ListLine;
}

const GATE_MARK: Record<string, string> = { passed: '✔', overridden: '≈', failed: '✗' };

export function stepsView(
  v: ListInput & {
    message?: { text: string };
    availability?: string;
    live?: { key: string; lines: string[]; startedAt: number };
  },
): StepsView {
  const { rb, state, width, height } = v;
  const scope = v.scope ?? '';
  const steps = scopeSteps(rb, scope) ?? [];
  const sel = Math.min(v.cursor, Math.max(0, steps.length - 1));
  const { title, sub } = scopeTitle(rb, scope);
  const listRows = Math.max(3, Math.min(steps.length, Math.floor((height - 6) / 2)));
  const start = Math.max(0, Math.min(sel - Math.floor(listRows / 2), steps.length - listRows));
  const phase = findPhase(rb, scope);
  const parsed = parseScope(scope);
  const ts = parsed.kind === 'troubleshooting' ? rb.troubleshooting.find((t) => t.id === parsed.id) : undefined;
  // every other line of the frame is counted, so the whole frame fits and the header never scrolls away
  const messageLines = v.message ? (v.message.text.length + 2 > width ? 2 : 1) : 0;
  const down = v.availability && v.availability !== 'up' ? 1 : 0;
  // the gate line is wrapped, never cut: each of its rows is counted
  const gate = phase
    ? wrapIndented(
        `gate: ${
          gateStatus(rb, state, scope)
            .map((g) => `${GATE_MARK[g.status] ?? '·'} ${g.checkId}`)
            .join('  ') || 'none'
        }` + signedText(rb, state, scope),
        width,
      ).join('\n')
    : undefined;
  const gateRows = gate ? gate.split('\n').length : 0;
  const around = 4 + down + (sub ? 1 : 0) + (steps.length > listRows ? 1 : 0) + gateRows + (ts?.fixes.length ? 1 : 0);
  const detailRows = Math.max(3, height - listRows - around - messageLines);

  const rows = steps.slice(start, start + listRows).map((s, j) => stepRow(v, scope, s, start + j === sel));

  const step = steps[sel];
  const st = step ? stepState(state, scope, step.id) : undefined;
  const live = step && v.live?.key === stepKey(scope, step.id) ? v.live : undefined;
  let detail: ViewLine[] = [];
  let check: StepsView['check'];
  if (step && st) {
    const input = stepViewFor(
      { runbook: rb, lr: { dir: v.dir, redactor: v.redactor }, now: () => v.now, values: v.values },
      state,
      scope,
      step,
      live,
      width,
      v.envDiff?.(step) ?? [],
    );
    if (st.check && !live) {
      const p = stepParts(input);
      detail = [...p.instructions.slice(0, 2), ...p.action];
      check = { result: st.check, maxRows: Math.max(0, detailRows - detail.length - 4) };
    } else detail = detailLines(input, detailRows);
  }
  return {
    title,
    sub: sub ? truncate(sub, width) : undefined,
    rows,
    counter: steps.length > listRows ? `  ${sel + 1}/${steps.length}` : undefined,
    detailRows,
    detail,
    status: st?.status ?? 'pending',
    since: live?.startedAt,
    check,
    gate,
    fix: ts?.fixes.length ? { text: truncate(`fix: ${ts.fixes.join(' · ')}`, width * 2), tone: 'yellow' } : undefined,
  };
}

/** "   ✔ signed off", and what four eyes still wait for */
function signedText(rb: Runbook, state: RunState, scope: string): string {
  if (phaseState(state, scope).status !== 'signed-off') return '';
  const awaiting = approvalsLine(rb, state, scope);
  return `   ✔ signed off${awaiting ? ` · ${awaiting}` : ''}`;
}

/** A step's line in the list: its mark, title, kind, status, and a wait's time or a reason. */
function stepRow(v: ListInput, scope: string, s: Step, selected: boolean): StepsView['rows'][number] {
  const ss = stepState(v.state, scope, s.id);
  const extra =
    s.kind === 'wait' && ss.status === 'pending'
      ? waitView(v.rb, v.state, s, v.now).short
      : ss.status === 'skipped' || ss.status === 'overridden'
        ? (ss.reason ?? '')
        : '';
  const text =
    `${selected ? '›' : ' '} ${STEP_ICON[ss.status]} ` +
    `${s.title}${s.destructive ? ' ⚠' : ''}${s.point_of_no_return ? ' ⛔' : ''}  ` +
    `[${s.kind}${ss.status !== 'pending' ? ` · ${ss.status}` : ''}]${extra ? ` ${extra}` : ''}`;
  return { text: truncate(text, v.width), status: ss.status, selected };
}
