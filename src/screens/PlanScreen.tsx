// The dry-run plan, scrollable: nothing here runs or writes anything.
import { useMemo } from 'react';
import { Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { truncate } from './theme.js';
import { buildPlan, formatPlan } from '../phases/plan.js';

export function PlanScreen({ width, height }: { width: number; height: number }) {
  const { state, ui } = useUIState();
  const actions = useUIActions();
  const lines = useMemo(
    () => formatPlan(buildPlan(actions.session.runbook, state, actions.session.lr.redactor, actions.session.now())),
    [state, actions],
  );
  const rows = Math.max(3, height - 5);
  const top = Math.min(ui.cursor.plan ?? 0, Math.max(0, lines.length - rows));
  return (
    <Frame
      title={`Plan (dry run) — lines ${top + 1}-${Math.min(lines.length, top + rows)} of ${lines.length}`}
      width={width}
    >
      {lines.slice(top, top + rows).map((l, i) => (
        <Text key={i}>{truncate(l, width)}</Text>
      ))}
    </Frame>
  );
}
