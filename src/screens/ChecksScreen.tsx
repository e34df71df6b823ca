// c: the checks panel, drawn from its view model (props only).
import { Box, Text } from 'ink';
import { CheckResultView } from './CheckResultView.js';
import { ListScreen } from './ListScreen.js';
import type { ChecksView } from './list-views.js';
import type { FrameView } from './frame-view.js';

export function ChecksScreen({ view, frame, width }: { view: ChecksView; frame: FrameView; width: number }) {
  const d = view.detail;
  return (
    <ListScreen view={view} frame={frame} width={width}>
      <Box flexDirection="column" height={d.detailRows} overflow="hidden">
        {/* natural height inside, clipped by the outer box: shrunk rows would overlap */}
        <Box flexDirection="column" flexShrink={0}>
          <Text dimColor>{d.about}</Text>
          {d.result ? (
            <CheckResultView result={d.result} width={width} maxRows={d.evidenceRows} />
          ) : (
            <Text>Not run yet in this run. Enter runs it now.</Text>
          )}
        </Box>
      </Box>
    </ListScreen>
  );
}
