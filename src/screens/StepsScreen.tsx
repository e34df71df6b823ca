// A phase (or a rollback procedure, or a troubleshooting entry): its steps, and the selected
// step's instructions, command, live output and result. Props only: see steps-view.ts.
import { Box, Text } from 'ink';
import { Frame } from './Frame.js';
import { CheckResultView } from './CheckResultView.js';
import { Elapsed } from './Spinner.js';
import { STEP_COLOR, color } from './theme.js';
import type { StepsView } from './steps-view.js';
import type { FrameView } from './frame-view.js';
import type { ViewLine } from './step-view.js';

export function StepsScreen({ view, frame, width }: { view: StepsView; frame: FrameView; width: number }) {
  return (
    <Frame frame={frame} title={view.title} width={width}>
      {view.sub ? <Text dimColor>{view.sub}</Text> : null}
      {view.rows.map((r, i) => (
        <Text key={i} inverse={r.selected} color={color(STEP_COLOR[r.status])}>
          {r.text}
        </Text>
      ))}
      {view.counter ? <Text dimColor>{view.counter}</Text> : null}
      <Text dimColor>{'─'.repeat(Math.max(10, width))}</Text>
      <Box flexDirection="column" height={view.detailRows} overflow="hidden">
        {/* natural height inside, clipped by the outer box: Ink shrinks rows of an
            overfull column, and shrunk rows overlap on screen */}
        <Box flexDirection="column" flexShrink={0}>
          {view.detail.map((l, k) => (
            <Line key={k} line={l} status={view.status} since={view.since} />
          ))}
          {view.check ? (
            <CheckResultView result={view.check.result} width={width} maxRows={view.check.maxRows} />
          ) : null}
        </Box>
      </Box>
      {view.gate ? <Text>{view.gate}</Text> : null}
      {view.fix ? <Text color={color('yellow')}>{view.fix.text}</Text> : null}
    </Frame>
  );
}

const TONE: Record<string, string | undefined> = { cmd: 'cyan', red: 'red' };

function Line({ line, status, since }: { line: ViewLine; status: keyof typeof STEP_COLOR; since?: number }) {
  if (line.tone === 'status') return <Text color={color(STEP_COLOR[status])}>{line.text}</Text>;
  if (line.tone === 'running' && since)
    return (
      <Text color={color('cyan')}>
        <Elapsed since={since} /> {line.text}
      </Text>
    );
  return (
    <Text dimColor={line.tone === 'dim' || line.tone === 'out'} color={color(line.tone ? TONE[line.tone] : undefined)}>
      {line.text}
    </Text>
  );
}
