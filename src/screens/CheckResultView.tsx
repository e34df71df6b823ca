// One check's result: status word, summary, numbers against thresholds, evidence.
import { Box, Text } from 'ink';
import type { CheckResult } from '../checks/types.js';
import { CHECK_COLOR, CHECK_WORD, color, truncate } from './theme.js';

export function CheckResultView({
  result,
  width,
  maxRows = 6,
}: {
  result: CheckResult;
  width: number;
  maxRows?: number;
}) {
  const metrics = Object.entries(result.metrics).filter(([, v]) => v !== null && v !== undefined);
  const thresholds = Object.entries(result.thresholds ?? {});
  // the most telling table: a baseline comparison, or the examples of what is wrong
  const ev =
    result.evidence?.[
      result.evidence.length > 1 && (result.status !== 'pass' || result.thresholds?.baseline)
        ? result.evidence.length - 1
        : 0
    ];
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold color={color(CHECK_COLOR[result.status])}>
          {CHECK_WORD[result.status]}
        </Text>
        <Text> {truncate(result.summary, width * 2 - 8)}</Text>
        <Text dimColor>
          {' '}
          ({result.durationMs} ms, {result.startedAt.slice(11, 19)}Z)
        </Text>
      </Text>
      {metrics.length ? <Text>{truncate(metrics.map(([k, v]) => `${k}=${v}`).join('  '), width * 2)}</Text> : null}
      {thresholds.length ? (
        <Text dimColor>{truncate(`thresholds: ${thresholds.map(([k, v]) => `${k} ${v}`).join(', ')}`, width)}</Text>
      ) : null}
      {result.hint ? <Text color={color('yellow')}>{truncate(`hint: ${result.hint}`, width * 2)}</Text> : null}
      {(result.artifacts ?? []).map((a) => (
        <Text key={a.file} dimColor>
          {truncate(`file: ${a.file} (${a.lines} lines)`, width * 2)}
        </Text>
      ))}
      {ev && ev.rows.length && maxRows > 0 ? (
        <EvidenceTable
          columns={ev.columns}
          rows={ev.rows.slice(0, maxRows)}
          more={ev.rows.length - maxRows + (ev.omitted ?? 0)}
          width={width}
        />
      ) : null}
    </Box>
  );
}

export function EvidenceTable({
  columns,
  rows,
  more,
  width,
}: {
  columns: string[];
  rows: Array<Array<string | number | boolean | null>>;
  more: number;
  width: number;
}) {
  const cells = rows.map((r) => r.map((c) => (c === null ? '∅' : String(c))));
  const w = columns.map((c, i) => Math.min(28, Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length))));
  const line = (r: string[]) => truncate(r.map((c, i) => truncate(c, w[i]).padEnd(w[i])).join(' │ '), width);
  return (
    <Box flexDirection="column">
      <Text bold>{line(columns)}</Text>
      {cells.map((r, i) => (
        <Text key={i}>{line(r)}</Text>
      ))}
      {more > 0 ? <Text dimColor>… {more} more</Text> : null}
    </Box>
  );
}
