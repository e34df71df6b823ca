// The frame around every screen: a title line, the screen, a message line and key hints.
import React from 'react';
import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { color, fitHints, truncate } from './theme.js';
import { SCREEN_KEYS } from './model.js';
import { rehearsalLabel } from '../state/run-state.js';

export function Frame({ title, children, width }: { title: string; children: React.ReactNode; width: number }) {
  const { ui, state, availability } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const drift = !!state.drift && !state.drift.acknowledgedAt;
  // "? help" first: at 80 columns the end of the line may be cut, and help lists everything
  // gates and sign-off belong to phases, not to rollback procedures or diagnostics
  const inPhase = ui.screen !== 'steps' || rb.phases.some((p) => p.id === ui.scope);
  const screenKeys = (SCREEN_KEYS[ui.screen] ?? []).filter(
    ([k]) => (k !== 'a' || drift) && ((k !== 'o' && k !== 'S') || inPhase),
  );
  // in priority order: what does not fit is left out whole (? help lists every key), never cut
  const hints = [
    '? help',
    ...screenKeys.map(([k, v]) => `${k} ${v.split(' ')[0].replace(/:$/, '')}`),
    'q quit',
    'Esc back',
    ui.screen === 'start' ? '' : 'R rollback',
  ].filter(Boolean);
  const m = ui.message;
  // a rehearsal says so on every screen: its times are not real ones
  const rehearsal = rehearsalLabel(state.rehearsal);
  const down = !!availability && availability !== 'up';
  return (
    <Box flexDirection="column" width={width}>
      <Box justifyContent="space-between">
        <Text bold>
          {truncate(
            `Waymark · ${rb.title}`,
            width - 22 - (rehearsal ? rehearsal.length + 1 : 0) - (availability ? 7 : 0),
          )}
        </Text>
        {availability ? <Text color={color(down ? 'red' : 'green')}>{down ? '● DOWN' : '● up'}</Text> : null}
        {rehearsal ? (
          <Text bold inverse color={color('yellow')}>
            {rehearsal}
          </Text>
        ) : null}
        <Text dimColor>{truncate(actions.session.opts.operator, 20)}</Text>
      </Box>
      {down ? (
        <Text bold inverse color={color('red')}>
          {truncate(`⚠ ${availability}`, width)}
        </Text>
      ) : null}
      <Text bold color={color('cyan')}>
        {truncate(title, width)}
      </Text>
      <Box flexDirection="column">{children}</Box>
      {m ? (
        <Text color={color(m.tone === 'error' ? 'red' : m.tone === 'ok' ? 'green' : undefined)}>
          {truncate(`${m.tone === 'error' ? '✗ ' : m.tone === 'ok' ? '✔ ' : ''}${m.text}`, width * 2)}
        </Text>
      ) : null}
      <Text dimColor>{fitHints(hints, width)}</Text>
    </Box>
  );
}
