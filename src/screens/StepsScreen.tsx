// A phase (or a rollback procedure, or a troubleshooting entry): its steps, and the
// selected step's instructions, command, live output and result.
import { useMemo } from 'react';
import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { CheckResultView } from './CheckResultView.js';
import { Elapsed } from './Spinner.js';
import { STEP_COLOR, STEP_ICON, color, truncate } from './theme.js';
import { scopeSteps, stepState, gateStatus, phaseState, describeAfter, waitView } from '../phases/rules.js';
import { planEnvEdit, formatEnvDiff } from '../phases/env-edit.js';
import { resolve } from 'node:path';
import { describeStep } from '../phases/plan.js';
import { outputRulesText } from '../phases/output-judge.js';


export function scopeTitle(rb: ReturnType<typeof useUIActions>['session']['runbook'], scope: string): { title: string; sub?: string } {
  if (scope.startsWith('rollback:')) {
    const r = rb.rollback.find((x) => x.id === scope.slice(9));
    return { title: `Rollback: ${r?.title ?? scope}`, sub: r?.when };
  }
  if (scope.startsWith('troubleshooting:')) {
    const t = rb.troubleshooting.find((x) => x.id === scope.slice(16));
    return { title: `Troubleshooting: ${t?.symptom ?? scope}` };
  }
  const p = rb.phases.find((x) => x.id === scope);
  return { title: p ? `${p.title}${p.when ? ` (${p.when})` : ''}` : scope, sub: p?.objective };
}

export function StepsScreen({ width, height }: { width: number; height: number }) {
  const { state, ui, live } = useUIState();
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
  const ts = scope.startsWith('troubleshooting:') ? rb.troubleshooting.find((t) => `troubleshooting:${t.id}` === scope) : undefined;
  const detailRows = Math.max(4, height - listRows - 7);
  const isLive = live && step && live.key === `${scope}/${step.id}`;
  // the diff reads the env file: once per step and state change, not on every frame
  const envDiff = useMemo(
    () => (step?.kind === 'edit-env' ? formatEnvDiff(planEnvEdit(resolve(actions.session.lr.dir, step.file), step.set), (v) => actions.session.lr.redactor.redact(v)) : []),
    [step, state.updatedAt, actions],
  );
  return (
    <Frame title={title} width={width}>
      {sub ? <Text dimColor>{truncate(sub, width)}</Text> : null}
      {steps.slice(start, start + listRows).map((s, j) => {
        const i = start + j;
        const ss = stepState(state, scope, s.id);
        const extra = s.kind === 'wait' && ss.status === 'pending' ? waitView(rb, state, s, actions.session.now()).short : ss.status === 'skipped' || ss.status === 'overridden' ? ss.reason ?? '' : '';
        return (
          <Text key={s.id} inverse={i === sel} color={color(STEP_COLOR[ss.status])}>
            {truncate(`${i === sel ? '›' : ' '} ${STEP_ICON[ss.status]} ${s.title}${s.destructive ? ' ⚠' : ''}${s.point_of_no_return ? ' ⛔' : ''}  [${s.kind}${ss.status !== 'pending' ? ` · ${ss.status}` : ''}]${extra ? ` ${extra}` : ''}`, width)}
          </Text>
        );
      })}
      {steps.length > listRows ? <Text dimColor>{`  ${sel + 1}/${steps.length}`}</Text> : null}
      <Text dimColor>{'─'.repeat(Math.max(10, width))}</Text>
      {step && st ? (
        <Box flexDirection="column" height={detailRows} overflow="hidden">
          {/* natural height inside, clipped by the outer box: Ink shrinks rows of an
              overfull column, and shrunk rows overlap on screen */}
          <Box flexDirection="column" flexShrink={0}>
            {step.instructions ? step.instructions.trim().split('\n').slice(0, 5).map((l, k) => <Text key={k}>{truncate(l, width)}</Text>) : null}
            {step.kind === 'manual' ? (
              <Text dimColor>Enter confirms you did it.</Text>
            ) : step.kind === 'edit-env' ? (
              <Text color={color('cyan')}>{truncate(`edit ${actions.session.lr.redactor.redact(resolve(actions.session.lr.dir, step.file))}`, width * 2)}</Text>
            ) : (
              <Text color={color('cyan')}>{truncate(describeStep(step, actions.session.lr.redactor, rb.checks).replace(/^/, step.kind === 'command' ? '$ ' : ''), width * 2)}</Text>
            )}
            {outputRulesText(step) ? <Text dimColor>{truncate(outputRulesText(step)!, width * 2)}</Text> : null}
            {step.kind === 'edit-env' && st.status !== 'passed' ? (
              <Box flexDirection="column">
                <Text dimColor>{envDiff.some((l) => /^[+-]/.test(l)) ? 'Enter writes this change (a backup of the file is kept):' : 'Nothing to change: every key already has its value. Enter records the step.'}</Text>
                {envDiff
                  .slice(0, 8)
                  .map((l, k) => (
                    <Text key={k} color={color(l.startsWith('+') ? 'green' : l.startsWith('-') ? 'red' : undefined)}>
                      {truncate(l, l.startsWith('  already set') ? width * 2 : width)}
                    </Text>
                  ))}
              </Box>
            ) : null}
            {step.kind === 'wait' && st.status === 'pending' ? <Text>{truncate(waitSentence(rb, state, step, actions.session.now()), width * 2)}</Text> : null}
            {step.point_of_no_return ? <Text color={color('red')}>{truncate(`⛔ point of no return: ${step.point_of_no_return}`, width * 2)}</Text> : null}
            {step.destructive ? <Text color={color('red')}>⚠ destructive: you will type a confirmation word</Text> : null}
            {isLive ? (
              <Box flexDirection="column">
                <Text color={color('cyan')}>
                  <Elapsed since={live!.startedAt} /> running — x stops it
                </Text>
                {live!.lines.map((l, k) => (
                  <Text key={k} dimColor>
                    {truncate(`│ ${l}`, width)}
                  </Text>
                ))}
              </Box>
            ) : st.check ? (
              <CheckResultView result={st.check} width={width} maxRows={Math.max(0, detailRows - 6)} />
            ) : st.status !== 'pending' ? (
              <Box flexDirection="column">
                <Text color={color(STEP_COLOR[st.status])}>
                  {truncate(`${st.status}${st.exitCode !== undefined && st.exitCode !== null ? ` · exit ${st.exitCode}` : ''}${st.durationMs !== undefined ? ` · ${(st.durationMs / 1000).toFixed(1)} s` : ''}${st.operator ? ` · ${st.operator}` : ''}${st.message ? ` · ${st.message}` : ''}${st.reason ? ` · ${st.reason}` : ''}`, width * 2)}
                </Text>
                {(st.outputTail ?? []).slice(-Math.max(0, detailRows - 5)).map((l, k) => (
                  <Text key={k} dimColor>
                    {truncate(`│ ${l.text}`, width)}
                  </Text>
                ))}
              </Box>
            ) : null}
          </Box>
        </Box>
      ) : null}
      {phase ? (
        <Text>
          {truncate(
            `gate: ${gate.map((g) => `${g.status === 'passed' ? '✔' : g.status === 'overridden' ? '≈' : g.status === 'failed' ? '✗' : '·'} ${g.checkId}`).join('  ') || 'none'}${phaseState(state, scope).status === 'signed-off' ? '   ✔ signed off' : ''}`,
            width,
          )}
        </Text>
      ) : null}
      {ts?.fixes.length ? <Text color={color('yellow')}>{truncate(`fix: ${ts.fixes.join(' · ')}`, width * 2)}</Text> : null}
    </Frame>
  );
}

/** "Starts counting when X is done; …" before the clock starts, "Counting since X was done; …" after. */
function waitSentence(rb: Parameters<typeof waitView>[0], state: Parameters<typeof waitView>[1], s: Extract<Parameters<typeof waitView>[2], { kind: 'wait' }>, now: Date): string {
  const v = waitView(rb, state, s, now);
  if (v.state === 'not-started') return `Starts counting when ${describeAfter(rb, s.after)}.`;
  const since = `Counting since ${describeAfter(rb, s.after).replace(/ is (done|signed off)$/, ' was $1')}`;
  const early = s.overridable === false ? ' It cannot be passed early.' : ' o passes it early as an override, with a reason.';
  return `${since}; ${v.short}.${v.state === 'counting' ? early : ''}`;
}

