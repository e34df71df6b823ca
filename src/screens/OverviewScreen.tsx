import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { color, shortTime, truncate } from './theme.js';
import { phaseState, stepState, phaseBlocker, waitView, signoffHistoryLine } from '../phases/rules.js';
import { DONE } from '../state/run-state.js';

export function OverviewScreen({ width }: { width: number }) {
  const { state, ui } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const now = actions.session.now();
  const sel = ui.cursor.overview ?? 0;
  return (
    <Frame title="Phases" width={width}>
      {rb.phases.map((p, i) => {
        const ps = phaseState(state, p.id);
        const done = p.steps.filter((s) => DONE.has(stepState(state, p.id, s.id).status)).length;
        const icon =
          ps.status === 'signed-off' ? '✔' : ps.status === 'active' ? '▶' : phaseBlocker(rb, state, p.id) ? '·' : '○';
        const waits = p.steps
          .filter((s) => s.kind === 'wait' && !DONE.has(stepState(state, p.id, s.id).status))
          .map((s) => `${s.title}: ${waitView(rb, state, s, now).short}`);
        const early = p.steps
          .filter((s) => s.kind === 'wait' && stepState(state, p.id, s.id).status === 'overridden')
          .map((s) => `${s.title}: OVERRIDDEN — ${stepState(state, p.id, s.id).reason ?? ''}`);
        const pnr = p.point_of_no_return ?? p.steps.find((s) => s.point_of_no_return)?.point_of_no_return;
        const reopened = (ps.history ?? []).some((h) => h.kind === 'reopened');
        const signed = ps.status === 'signed-off' ? `signed off ${shortTime(ps.signedOffAt)} by ${ps.signedOffBy}` : '';
        const detail =
          signed ||
          (reopened ? 'REOPENED — needs a new sign-off' : ps.startedAt ? `started ${shortTime(ps.startedAt)}` : '');
        return (
          <Box key={p.id} flexDirection="column">
            <Text
              inverse={i === sel}
              color={color(ps.status === 'signed-off' ? 'green' : ps.status === 'active' ? 'cyan' : undefined)}
            >
              {truncate(
                `${i === sel ? '›' : ' '} ${icon} ${p.title.padEnd(40)} ` +
                  `${String(done).padStart(2)}/${p.steps.length}  ${detail}`,
                width,
              )}
            </Text>
            {waits.map((w) => (
              <Text key={w} color={color('yellow')}>
                {truncate(`      ⏳ ${w}`, width - 1) /* the hourglass is two columns wide */}
              </Text>
            ))}
            {early.map((w) => (
              <Text key={w} color={color('red')}>
                {truncate(`      ≈ ${w}`, width)}
              </Text>
            ))}
            {reopened && i === sel ? (
              <Text dimColor>{truncate(`      ${signoffHistoryLine(ps)}`, width * 2)}</Text>
            ) : null}
            {pnr && ps.status !== 'signed-off' && i === sel ? (
              <Text color={color('red')}>{truncate(`      ⚠ point of no return: ${pnr}`, width - 1)}</Text>
            ) : null}
          </Box>
        );
      })}
    </Frame>
  );
}
