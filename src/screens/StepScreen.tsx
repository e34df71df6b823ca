// `v`: the whole selected step — instructions, the command as it will run, the rules its
// output is judged by, and all of its output — wrapped to the terminal and scrollable.
import { useMemo } from 'react';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { Line, scopeTitle } from './StepsScreen.js';
import { scopeSteps, stepState } from '../phases/rules.js';
import { envDiffOf, fullLines, stepViewFor } from './step-view.js';

export function StepScreen({ width, height }: { width: number; height: number }) {
  const { state, ui, live } = useUIState();
  const actions = useUIActions();
  const scope = ui.scope ?? '';
  const step = scopeSteps(actions.session.runbook, scope)?.[ui.cursor.steps ?? 0];
  const envDiff = useMemo(() => (step ? envDiffOf(actions.session, step) : []), [step, state.updatedAt, actions]);
  const lines = step ? fullLines(stepViewFor(actions.session, state, scope, step, live, width, envDiff)) : [];
  const rows = Math.max(3, height - 5);
  const top = Math.min(ui.cursor.step ?? 0, Math.max(0, lines.length - rows));
  const where =
    lines.length > rows
      ? ` — lines ${top + 1}-${Math.min(lines.length, top + rows)} of ${lines.length}, ↑↓ scroll`
      : '';
  return (
    <Frame
      title={`${step?.title ?? 'no step'} (${scopeTitle(actions.session.runbook, scope).title})${where}`}
      width={width}
    >
      {lines.slice(top, top + rows).map((l, i) => (
        <Line
          key={i}
          line={l}
          status={step ? stepState(state, scope, step.id).status : 'pending'}
          since={live?.startedAt}
        />
      ))}
    </Frame>
  );
}
