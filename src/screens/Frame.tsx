// The frame around every screen: a title line, the screen, a message line and key hints.
// Props only: what it shows comes from its view model (frame-view.ts).
import React from 'react';
import { Box, Text } from 'ink';
import { color, truncate } from './theme.js';
import type { FrameView } from './frame-view.js';

export function Frame({
  frame,
  title,
  children,
  width,
}: {
  frame: FrameView;
  title: string;
  children: React.ReactNode;
  width: number;
}) {
  const m = frame.message;
  const a = frame.availability;
  return (
    <Box flexDirection="column" width={width}>
      <Box justifyContent="space-between">
        <Text bold>{frame.title}</Text>
        {a ? <Text color={color(a.up ? 'green' : 'red')}>{a.up ? '● up' : '● DOWN'}</Text> : null}
        {frame.rehearsal ? (
          <Text bold inverse color={color('yellow')}>
            {frame.rehearsal}
          </Text>
        ) : null}
        <Text dimColor>{frame.operator}</Text>
      </Box>
      {frame.rollback ? (
        <Text bold color={color('red')}>
          {frame.rollback}
        </Text>
      ) : null}
      {a?.alert ? (
        <Text bold inverse color={color('red')}>
          {a.alert}
        </Text>
      ) : null}
      <Text bold color={color('cyan')}>
        {truncate(title, width)}
      </Text>
      <Box flexDirection="column">{children}</Box>
      {m ? (
        <Text color={color(m.tone === 'error' ? 'red' : m.tone === 'ok' ? 'green' : undefined)}>
          {truncate(`${m.tone === 'error' ? '✗ ' : m.tone === 'ok' ? '✔ ' : ''}${m.text}`, width * 2)}
        </Text>
      ) : null}
      <Text dimColor>{frame.hints}</Text>
    </Box>
  );
}
