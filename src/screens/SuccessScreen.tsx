// G: the success criteria of the whole migration, live: met, not met or not yet, and why.
import { useUIState } from './contexts.js';
import { Frame } from './Frame.js';
import { Line } from './StepsScreen.js';
import { successLines } from './success-view.js';

export function SuccessScreen({ width, height }: { width: number; height: number }) {
  const { success, ui } = useUIState();
  const lines = success
    ? successLines(success.rows, width)
    : [{ text: 'working out the criteria…', tone: 'dim' as const }];
  const rows = Math.max(3, height - 5);
  const top = Math.min(ui.cursor.success ?? 0, Math.max(0, lines.length - rows));
  const where = lines.length > rows ? ` — ${top + 1}-${Math.min(lines.length, top + rows)} of ${lines.length}` : '';
  return (
    <Frame title={`Success criteria${success ? ` as of ${success.at.slice(11, 19)}Z` : ''}${where}`} width={width}>
      {lines.slice(top, top + rows).map((l, i) => (
        <Line key={i} line={l} status="pending" />
      ))}
    </Frame>
  );
}
