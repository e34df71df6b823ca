// The container: subscribes to the controller and picks the screen. Behaviour lives
// in the controller and the engine, so this file stays small.
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { Box, Static, Text, useStdout } from 'ink';
import type { TuiController } from './controller.js';
import { UIActionsContext, KeypressProvider } from './contexts.js';
import { StepsScreen } from './StepsScreen.js';
import { ChecksScreen } from './ChecksScreen.js';
import { MonitorScreen } from './MonitorScreen.js';
import { ListScreen } from './ListScreen.js';
import { DialogView } from './Dialogs.js';
import { color } from './theme.js';

export function App({ controller }: { controller: TuiController }) {
  const snap = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const { columns, rows } = useTerminalSize();
  const width = Math.max(60, Math.min(columns || 80, 120)) - 1;
  const height = Math.max(16, rows || 24) - 1;
  const { ui } = snap;
  useEffect(() => controller.setSize(width, height), [controller, width, height]);
  // every screen draws its view model and nothing else; keys go to the controller
  const actions = useMemo(() => ({ handleKey: controller.handleKey }), [controller]);
  const frame = snap.frame;
  const list = snap.view ? <ListScreen view={snap.view} frame={frame} width={width} /> : null;
  const screens = {
    start: list,
    overview: list,
    steps: snap.stepsView ? <StepsScreen view={snap.stepsView} frame={frame} width={width} /> : null,
    checks: snap.checksView ? <ChecksScreen view={snap.checksView} frame={frame} width={width} /> : null,
    monitor: snap.view ? <MonitorScreen view={snap.view} frame={frame} probes={snap.probes} width={width} /> : null,
    rollback: list,
    troubleshooting: list,
    plan: list,
    step: list,
    success: list,
  };
  return (
    <UIActionsContext.Provider value={actions}>
      <KeypressProvider active={snap.exited === undefined}>
        <Static items={snap.printed}>
          {(l) => (
            <Text
              key={l.id}
              color={color(l.tone === 'err' ? 'red' : l.tone === 'info' ? 'cyan' : undefined)}
              dimColor={l.tone === 'out'}
            >
              {l.text}
            </Text>
          )}
        </Static>
        {snap.exited !== undefined ? (
          <Text>Waymark stopped; the run is saved. Start it again to resume.</Text>
        ) : (
          // the whole terminal, always: a short screen or a dialog leaves no old lines showing above it
          <Box flexDirection="column" minHeight={height}>
            {ui.dialog ? <DialogView dialog={ui.dialog} width={width} extra={snap.dialogExtra} /> : screens[ui.screen]}
          </Box>
        )}
      </KeypressProvider>
    </UIActionsContext.Provider>
  );
}

/** The terminal's size, re-rendering on resize: Ink re-lays out, but our screens size themselves. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns, rows: stdout.rows });
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns, rows: stdout.rows });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
