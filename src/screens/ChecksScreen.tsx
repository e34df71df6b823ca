import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { CheckResultView } from './CheckResultView.js';
import { CHECK_COLOR, CHECK_WORD, color, truncate } from './theme.js';

export function ChecksScreen({ width, height }: { width: number; height: number }) {
  const { state, ui, results, runningChecks } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const ids = Object.keys(rb.checks);
  const sel = Math.min(ui.cursor.checks ?? 0, ids.length - 1);
  const listRows = Math.max(3, Math.min(ids.length, Math.floor((height - 6) / 2)));
  const start = Math.max(0, Math.min(sel - Math.floor(listRows / 2), ids.length - listRows));
  const id = ids[sel];
  const result = results[id] ?? state.checks[id];
  return (
    <Frame title={`Checks${ui.watch ? ` — watching, every ${rb.monitoring?.interval ?? '30s'}` : ''}`} width={width}>
      {ids.slice(start, start + listRows).map((cid, j) => {
        const r = results[cid] ?? state.checks[cid];
        const running = runningChecks.includes(cid);
        return (
          <Text key={cid} inverse={start + j === sel}>
            {truncate(`${start + j === sel ? '›' : ' '} `, 2)}
            <Text color={color(r ? CHECK_COLOR[r.status] : undefined)}>
              {running ? '…   ' : r ? CHECK_WORD[r.status].padEnd(5) : '—    '}
            </Text>
            {truncate(` ${cid.padEnd(24)} ${rb.checks[cid].title ?? rb.checks[cid].type}`, width - 8)}
          </Text>
        );
      })}
      <Text dimColor>{'─'.repeat(Math.max(10, width))}</Text>
      <Box flexDirection="column" height={Math.max(4, height - listRows - 6)} overflow="hidden">
        {/* natural height inside, clipped by the outer box: shrunk rows would overlap */}
        <Box flexDirection="column" flexShrink={0}>
          <Text dimColor>
            {truncate(
              `${id} · ${rb.checks[id].type}${rb.checks[id].description ? ` · ${rb.checks[id].description}` : ''}`,
              width,
            )}
          </Text>
          {result ? (
            <CheckResultView result={result} width={width} maxRows={Math.max(0, height - listRows - 13)} />
          ) : (
            <Text>Not run yet in this run. Enter runs it now.</Text>
          )}
        </Box>
      </Box>
    </Frame>
  );
}
