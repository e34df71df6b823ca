// The availability probes as a timeline, and the runbook's monitoring checks side by side
// with their alert thresholds, refreshed live.
import { Box, Text } from 'ink';
import type { ProbeView, MarkKind } from './probe-view.js';
import { MARK } from './probe-view.js';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { CHECK_COLOR, CHECK_WORD, color, truncate } from './theme.js';

const MARK_COLOR: Record<MarkKind, string | undefined> = { up: 'green', down: 'red', mixed: 'yellow', none: undefined };

/** One probe: its last seconds as marks (newest on the right), then what it saw since it started. */
export function ProbeTimeline({ view, width }: { view: ProbeView; width: number }) {
  const label = view.id.slice(0, 8).padEnd(9);
  let room = Math.max(0, width - label.length - 12);
  // the newest seconds are kept when the screen is narrower than the timeline
  const runs = [...view.marks]
    .reverse()
    .flatMap((r) => {
      const count = Math.min(r.count, room);
      room -= count;
      return count ? [{ ...r, count }] : [];
    })
    .reverse();
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{label}</Text>
        {runs.map((r, i) => (
          <Text key={i} color={color(MARK_COLOR[r.kind])}>
            {MARK[r.kind].repeat(r.count)}
          </Text>
        ))}
        <Text color={color(view.up ? 'green' : 'red')} bold>{` ${view.up ? 'up' : 'DOWN'}`}</Text>
      </Text>
      <Text dimColor>{truncate(`  ${view.up ? '' : `${view.now} · `}${view.totals}`, width)}</Text>
    </Box>
  );
}

export function MonitorScreen({ width }: { width: number }) {
  const { results, runningChecks, probes } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const mon = rb.monitoring;
  const timeline = probes?.length ? (
    <Box flexDirection="column" marginBottom={1}>
      <Text dimColor>
        {truncate('Availability, a mark a second (▁ up, █ down, ▄ some failed), newest right', width)}
      </Text>
      {probes.map((v) => (
        <ProbeTimeline key={v.id} view={v} width={width} />
      ))}
    </Box>
  ) : null;
  if (!mon || !mon.checks.length)
    return (
      <Frame title="Monitor" width={width}>
        {timeline}
        <Text>This runbook defines no monitoring checks.</Text>
      </Frame>
    );
  return (
    <Frame title={`Monitor — refreshing every ${mon.interval}`} width={width}>
      {timeline}
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
              {truncate(
                `${(rb.checks[id].title ?? id).padEnd(44)}` +
                  `${value !== undefined ? ` ${alerts[0].metric}=${value}` : ''}`,
                width - 6,
              )}
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
