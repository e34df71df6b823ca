import { Box, Text } from 'ink';
import { useUIState, useUIActions } from './contexts.js';
import { Frame } from './Frame.js';
import { truncate } from './theme.js';

export function TroubleshootingScreen({ width }: { width: number }) {
  const { ui } = useUIState();
  const actions = useUIActions();
  const rb = actions.session.runbook;
  const sel = ui.cursor.troubleshooting ?? 0;
  if (!rb.troubleshooting.length)
    return (
      <Frame title="Troubleshooting" width={width}>
        <Text>This runbook has no troubleshooting entries.</Text>
      </Frame>
    );
  return (
    <Frame title="Troubleshooting — pick a symptom, Enter runs its diagnostics" width={width}>
      {rb.troubleshooting.map((t, i) => (
        <Box key={t.id} flexDirection="column">
          <Text inverse={i === sel}>{truncate(`${i === sel ? '›' : ' '} ${t.symptom}`, width)}</Text>
          <Text dimColor>
            {truncate(`    ${t.diagnostics.length} diagnostics · fixes: ${t.fixes.join(' · ') || '—'}`, width)}
          </Text>
        </Box>
      ))}
    </Frame>
  );
}
