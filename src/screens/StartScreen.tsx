import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { color, truncate } from './theme.js';
import { findStep, currentPhase } from '../phases/rules.js';

export function StartScreen({ width }: { width: number }) {
  const { state } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const fresh = Object.keys(state.steps).length === 0;
  const interrupted = Object.entries(state.steps).find(([, s]) => s.status === 'interrupted');
  const rp = actions.resumePoint();
  const rpStep = rp
    ? findStep(rb, rp.scope, (rb.phases.find((p) => p.id === rp.scope)?.steps ?? [])[rp.index]?.id ?? '')
    : undefined;
  const phase = rp ? rb.phases.find((p) => p.id === rp.scope) : currentPhase(rb, state);
  const drift = state.drift && !state.drift.acknowledgedAt ? state.drift : undefined;
  return (
    <Frame title={`${rb.title} — version ${rb.version}`} width={width}>
      <Text> </Text>
      {Object.keys(state.target).length === 0 ? (
        <Text dimColor>{'target'.padEnd(16)}none: this runbook has no database connections or data files</Text>
      ) : null}
      {Object.entries(state.target).map(([k, v]) => (
        <Text key={k}>
          <Text dimColor>{`${k.padEnd(16)}`}</Text>
          {truncate(v, width - 17)}
        </Text>
      ))}
      <Text>
        <Text dimColor>{'operator'.padEnd(16)}</Text>
        {actions.session.opts.operator}
      </Text>
      <Text> </Text>
      {actions.session.notices.map((n) => (
        <Text key={n} color={color('yellow')}>
          {truncate(`notice: ${n}`, width * 2)}
        </Text>
      ))}
      {fresh ? (
        <Text>
          A new run: {rb.phases.length} phases, starting with "{rb.phases[0].title}".
        </Text>
      ) : (
        <Box flexDirection="column">
          <Text>
            Run started {state.createdAt.slice(0, 16).replace('T', ' ')}Z, last change{' '}
            {state.updatedAt.slice(0, 16).replace('T', ' ')}Z.
          </Text>
          {phase ? (
            <Text>
              You stopped in: {phase.title}
              {rpStep ? ` → ${rpStep.title}` : ''}
            </Text>
          ) : (
            <Text color={color('green')}>Every phase is signed off.</Text>
          )}
          {interrupted ? (
            <Text color={color('magenta')}>
              {truncate(
                `! "${interruptedTitle(rb, interrupted[0])}" was interrupted: ` +
                  're-run it (Enter), mark it done (d) or skip it (s).',
                width * 2,
              )}
            </Text>
          ) : null}
        </Box>
      )}
      {drift ? (
        <Box flexDirection="column" marginTop={1}>
          <Text color={color('yellow')}>The runbook changed since this run began:</Text>
          {drift.changed.slice(0, 6).map((c) => (
            <Text key={c}> • {c}</Text>
          ))}
          <Text bold>Press a to acknowledge the changes (recorded), then Enter.</Text>
        </Box>
      ) : (
        <Box marginTop={1}>
          <Text bold inverse>
            {fresh ? ' Press Enter to begin ' : ' Press Enter to Resume '}
          </Text>
        </Box>
      )}
    </Frame>
  );
}

/** The title of the step behind a "scope/step" key (a scope may hold a "/": the last one splits). */
function interruptedTitle(rb: Parameters<typeof findStep>[0], key: string): string | undefined {
  const i = key.lastIndexOf('/');
  return findStep(rb, key.slice(0, i), key.slice(i + 1))?.title;
}
