// The availability probes as a timeline, and the runbook's monitoring checks side by side
// with their alert thresholds, refreshed live.
import { Box, Text } from 'ink';
import type { ProbeView, MarkKind } from './probe-view.js';
import { MARK } from './probe-view.js';
import { ListScreen } from './ListScreen.js';
import type { ListView } from './list-views.js';
import type { FrameView } from './frame-view.js';
import { color, truncate, wrapIndented } from './theme.js';

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
      <Text dimColor>{wrapIndented(`  ${view.up ? '' : `${view.now} · `}${view.totals}`, width).join('\n')}</Text>
    </Box>
  );
}

/** m: the probes' timelines (their own view models), then the monitoring checks as lines. Props only. */
export function MonitorScreen({
  view,
  frame,
  probes,
  width,
}: {
  view: ListView;
  frame: FrameView;
  probes?: ProbeView[];
  width: number;
}) {
  return (
    <ListScreen
      view={view}
      frame={frame}
      width={width}
      before={probes?.length ? <Timelines probes={probes} width={width} /> : null}
    />
  );
}

function Timelines({ probes, width }: { probes: ProbeView[]; width: number }) {
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text dimColor>
        {truncate('Availability, a mark a second (▁ up, █ down, ▄ some failed), newest right', width)}
      </Text>
      {probes.map((v) => (
        <ProbeTimeline key={v.id} view={v} width={width} />
      ))}
    </Box>
  );
}
