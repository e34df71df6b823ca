// The runbook's monitoring checks side by side with their alert thresholds, refreshed live.
import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { CHECK_COLOR, CHECK_WORD, color, truncate } from './theme.js';

export function MonitorScreen({ width }: { width: number }) {
  const { results, runningChecks } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const mon = rb.monitoring;
  if (!mon || !mon.checks.length) return <Frame title="Monitor" width={width}><Text>This runbook defines no monitoring checks.</Text></Frame>;
  return (
    <Frame title={`Monitor — refreshing every ${mon.interval}`} width={width}>
      {mon.checks.map((id) => {
        const r = results[id];
        const alerts = mon.alerts.filter((a) => a.check === id);
        const value = alerts[0]?.metric && r ? r.metrics[alerts[0].metric] : undefined;
        return (
          <Box key={id} flexDirection="column">
            <Text>
              <Text color={color(r ? CHECK_COLOR[r.status] : undefined)} bold>
                {runningChecks.includes(id) && !r ? '…    ' : r ? CHECK_WORD[r.status].padEnd(6) : '—     '}
              </Text>
              {truncate(`${(rb.checks[id].title ?? id).padEnd(44)}${value !== undefined ? ` ${alerts[0].metric}=${value}` : ''}`, width - 6)}
            </Text>
            {r ? <Text dimColor>{truncate(`      ${r.summary}`, width)}</Text> : null}
            {alerts.map((a) => (
              <Text key={a.condition} color={color('yellow')}>
                {truncate(`      alert when ${a.condition}`, width)}
              </Text>
            ))}
          </Box>
        );
      })}
    </Frame>
  );
}
