// Draws a list view model: props only, no session, no rules.
import type React from 'react';
import { Text } from 'ink';
import { Frame } from './Frame.js';
import { color } from './theme.js';
import type { ListView } from './list-views.js';
import type { FrameView } from './frame-view.js';

export function ListScreen({
  view,
  frame,
  width,
  before,
  children,
}: {
  view: ListView;
  frame: FrameView;
  width: number;
  /** drawn above the lines (the monitor's timelines) */
  before?: React.ReactNode;
  children?: React.ReactNode;
}) {
  return (
    <Frame frame={frame} title={view.title} width={width}>
      {before}
      {view.lines.map((l, i) => (
        <Text
          key={i}
          inverse={l.selected}
          dimColor={l.tone === 'dim'}
          color={color(l.tone === 'dim' ? undefined : l.tone)}
        >
          {l.text}
        </Text>
      ))}
      {children}
    </Frame>
  );
}
