// Rollback procedures, with the ones that apply to this run's progress first.
import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { color, truncate } from './theme.js';
import { rollbackPlan, orderedProcedures } from '../phases/rollback-plan.js';

export function RollbackScreen({ width }: { width: number }) {
  const { state, ui } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const plan = rollbackPlan(rb, state);
  const sel = ui.cursor.rollback ?? 0;
  return (
    <Frame title="Rollback procedures" width={width}>
      <Text>
        {plan.length
          ? `Given what this run has done, in this order: ${plan.map((p, i) => `${i + 1}. ${p.title}`).join('  ')}`
          : 'Nothing in this run needs rolling back yet.'}
      </Text>
      <Text> </Text>
      {orderedProcedures(rb, state).map((r, i) => {
        const applies = plan.findIndex((p) => p.procedureId === r.id);
        const item = plan[applies];
        return (
          <Box key={r.id} flexDirection="column">
            <Text inverse={i === sel} color={color(applies >= 0 ? 'yellow' : undefined)}>
              {truncate(
                `${i === sel ? '›' : ' '} ${applies >= 0 ? `${applies + 1}.` : '  '} ` +
                  `${r.title}${r.destructive ? ' ⚠' : ''}  (${r.steps.length} ` +
                  `steps${item ? `, ${item.progress}` : ''})`,
                width,
              )}
            </Text>
            {r.when ? <Text dimColor>{truncate(`      when: ${r.when}`, width)}</Text> : null}
            {item ? <Text dimColor>{truncate(`      undoes: ${item.undoes.join(', ')}`, width)}</Text> : null}
          </Box>
        );
      })}
    </Frame>
  );
}
