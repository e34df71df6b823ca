// A phase (or a rollback procedure, or a troubleshooting entry): its steps, and the
// selected step's instructions, command, live output and result.
import { useMemo } from 'react';
import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { CheckResultView } from './CheckResultView.js';
import { Elapsed } from './Spinner.js';
import { STEP_COLOR, STEP_ICON, color, truncate } from './theme.js';
import { scopeSteps, stepState, gateStatus, phaseState, waitView, parseScope } from '../phases/rules.js';
import { scopeTitle } from './list-views.js';
import { detailLines, envDiffOf, stepParts, stepViewFor, type ViewLine } from './step-view.js';

export function StepsScreen({ width, height }: { width: number; height: number }) {
  const { state, ui, live, availability } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const scope = ui.scope ?? '';
  const steps = scopeSteps(rb, scope) ?? [];
  const sel = Math.min(ui.cursor.steps ?? 0, Math.max(0, steps.length - 1));
  const { title, sub } = scopeTitle(rb, scope);
  const listRows = Math.max(3, Math.min(steps.length, Math.floor((height - 6) / 2)));
  const start = Math.max(0, Math.min(sel - Math.floor(listRows / 2), steps.length - listRows));
  const step = steps[sel];
  const st = step ? stepState(state, scope, step.id) : undefined;
  const phase = rb.phases.find((p) => p.id === scope);
  const gate = phase ? gateStatus(rb, state, scope) : [];
  const parsed = parseScope(scope);
  const ts = parsed.kind === 'troubleshooting' ? rb.troubleshooting.find((t) => t.id === parsed.id) : undefined;
  // every other line of the frame is counted, so the whole frame fits and the header never scrolls away
  const messageLines = ui.message ? (ui.message.text.length + 2 > width ? 2 : 1) : 0;
  const around =
    3 +
    (availability && availability !== 'up' ? 1 : 0) +
    (sub ? 1 : 0) +
    (steps.length > listRows ? 1 : 0) +
    1 +
    (phase ? 1 : 0) +
    (ts?.fixes.length ? 1 : 0) +
    messageLines;
  const detailRows = Math.max(3, height - listRows - around);
  const isLive = !!(live && step && live.key === `${scope}/${step.id}`);
  // the diff reads the env file: once per step and state change, not on every frame
  const envDiff = useMemo(() => (step ? envDiffOf(actions.session, step) : []), [step, state.updatedAt, actions]);
  const view = step
    ? stepViewFor(actions.session, state, scope, step, isLive ? live : undefined, width, envDiff)
    : undefined;
  const detail = view
    ? st!.check && !isLive
      ? stepParts(view).instructions.slice(0, 2).concat(stepParts(view).action)
      : detailLines(view, detailRows)
    : [];
  return (
    <Frame title={title} width={width}>
      {sub ? <Text dimColor>{truncate(sub, width)}</Text> : null}
      {steps.slice(start, start + listRows).map((s, j) => {
        const i = start + j;
        const ss = stepState(state, scope, s.id);
        const extra =
          s.kind === 'wait' && ss.status === 'pending'
            ? waitView(rb, state, s, actions.session.now()).short
            : ss.status === 'skipped' || ss.status === 'overridden'
              ? (ss.reason ?? '')
              : '';
        return (
          <Text key={s.id} inverse={i === sel} color={color(STEP_COLOR[ss.status])}>
            {truncate(
              `${i === sel ? '›' : ' '} ${STEP_ICON[ss.status]} ` +
                `${s.title}${s.destructive ? ' ⚠' : ''}${s.point_of_no_return ? ' ⛔' : ''}  ` +
                `[${s.kind}${ss.status !== 'pending' ? ` · ${ss.status}` : ''}]${extra ? ` ${extra}` : ''}`,
              width,
            )}
          </Text>
        );
      })}
      {steps.length > listRows ? <Text dimColor>{`  ${sel + 1}/${steps.length}`}</Text> : null}
      <Text dimColor>{'─'.repeat(Math.max(10, width))}</Text>
      {step && st && view ? (
        <Box flexDirection="column" height={detailRows} overflow="hidden">
          {/* natural height inside, clipped by the outer box: Ink shrinks rows of an
              overfull column, and shrunk rows overlap on screen */}
          <Box flexDirection="column" flexShrink={0}>
            {detail.map((l, k) => (
              <Line key={k} line={l} status={st.status} since={live?.startedAt} />
            ))}
            {st.check && !isLive ? (
              <CheckResultView result={st.check} width={width} maxRows={Math.max(0, detailRows - detail.length - 4)} />
            ) : null}
          </Box>
        </Box>
      ) : null}
      {phase ? (
        <Text>
          {truncate(
            `gate: ${gate.map((g) => `${GATE_MARK[g.status] ?? '·'} ${g.checkId}`).join('  ') || 'none'}` +
              (phaseState(state, scope).status === 'signed-off' ? '   ✔ signed off' : ''),
            width,
          )}
        </Text>
      ) : null}
      {ts?.fixes.length ? (
        <Text color={color('yellow')}>{truncate(`fix: ${ts.fixes.join(' · ')}`, width * 2)}</Text>
      ) : null}
    </Frame>
  );
}

const TONE: Record<string, string | undefined> = { cmd: 'cyan', red: 'red' };
const GATE_MARK: Record<string, string> = { passed: '✔', overridden: '≈', failed: '✗' };

export function Line({ line, status, since }: { line: ViewLine; status: keyof typeof STEP_COLOR; since?: number }) {
  if (line.tone === 'status') return <Text color={color(STEP_COLOR[status])}>{line.text}</Text>;
  if (line.tone === 'running' && since)
    return (
      <Text color={color('cyan')}>
        <Elapsed since={since} /> {line.text}
      </Text>
    );
  return (
    <Text dimColor={line.tone === 'dim' || line.tone === 'out'} color={color(line.tone ? TONE[line.tone] : undefined)}>
      {line.text}
    </Text>
  );
}
