// Dialogs: a reason, a sign-off, a typed confirmation word, quitting, help.
import React from 'react';
import { Box, Text } from 'ink';
import { color, truncate, wrap } from './theme.js';
import type { Dialog, ScreenId } from './model.js';
import { GLOBAL_KEYS, SCREEN_KEYS } from './key-map.js';
import type { SignoffView } from './dialog-view.js';

function Box1({
  title,
  children,
  width,
  tone,
}: {
  title: string;
  children: React.ReactNode;
  width: number;
  tone?: string;
}) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={color(tone ?? 'cyan')} paddingX={1} width={width}>
      <Text bold>{title}</Text>
      {children}
    </Box>
  );
}

function Input({ text, error }: { text: string; error?: string }) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={color('cyan')}>› </Text>
        {text}
        <Text inverse> </Text>
      </Text>
      {error ? <Text color={color('red')}>{error}</Text> : null}
      <Text dimColor>Enter confirms · Esc cancels</Text>
    </Box>
  );
}

/** What a dialog shows besides its own state: the operator, and a sign-off's view model. Props only. */
export interface DialogExtra {
  operator: string;
  screen: ScreenId;
  signoff?: SignoffView;
}

export function DialogView({ dialog, width, extra }: { dialog: Dialog; width: number; extra: DialogExtra }) {
  switch (dialog.kind) {
    case 'help':
      return <HelpOverlay width={width} screen={extra.screen} />;
    case 'quit':
      return (
        <Box1 title="Quit?" width={width} tone={dialog.running ? 'red' : 'yellow'}>
          {dialog.running ? (
            <Text color={color('red')}>
              A step is running: quitting stops it (its whole process tree) and records it as interrupted.
            </Text>
          ) : (
            <Text>Everything is saved; the next start resumes here.</Text>
          )}
          <Text bold>Quit? y/n</Text>
        </Box1>
      );
    case 'reason':
      return (
        <Box1 title={dialog.label} width={width} tone="yellow">
          <Text dimColor>Recorded with your name ({extra.operator}) in the run and the audit log.</Text>
          <Input text={dialog.text} error={dialog.error} />
        </Box1>
      );
    case 'pick-gate':
      return (
        <Box1 title="Which gate check do you override?" width={width} tone="yellow">
          {dialog.options.map((o, i) => (
            <Text key={o} inverse={i === dialog.cursor}>
              {i === dialog.cursor ? '› ' : '  '}
              {o}
            </Text>
          ))}
          <Text dimColor>↑↓ choose · Enter · Esc cancels</Text>
        </Box1>
      );
    case 'signoff':
      return <SignoffDialog dialog={dialog} width={width} extra={extra} />;
    case 'confirm-word':
      return <ConfirmWordDialog dialog={dialog} width={width} />;
    case 'confirm-key':
      return (
        <Box1 title="Run it again?" width={width} tone="yellow">
          <Text>{dialog.prompt}</Text>
          <Text>It is recorded as a new attempt, run by {extra.operator}.</Text>
          <Text bold>y runs it again · any other key cancels</Text>
        </Box1>
      );
    case 'input':
      return <InputDialog dialog={dialog} width={width} extra={extra} />;
    case 'message':
      return (
        <Box1 title={dialog.title} width={width} tone="green">
          {dialog.lines.map((l, i) => (
            <Text key={i}>{l}</Text>
          ))}
          <Text dimColor>Enter or Esc closes</Text>
        </Box1>
      );
  }
}

/** An input: its choices with what each does, or a field (masked when secret); who is recorded. Wrapped, never cut. */
function InputDialog({
  dialog,
  width,
  extra,
}: {
  dialog: Extract<Dialog, { kind: 'input' }>;
  width: number;
  extra: DialogExtra;
}) {
  const title = `${dialog.decision ? 'Decide' : 'Give'}: ${dialog.name}${dialog.again ? ' (again: never stored)' : ''}`;
  const recorded = dialog.secret
    ? `Secret: never shown or stored; the record says ${extra.operator} gave it.`
    : `Recorded with your name (${extra.operator}) in the run, the audit log and the report.`;
  const inner = width - 4;
  return (
    <Box1 title={title} width={width} tone="yellow">
      {dialog.description ? <Text>{wrap(dialog.description, inner).join('\n')}</Text> : null}
      <Text dimColor>{wrap(recorded, inner).join('\n')}</Text>
      {dialog.choices.length ? (
        <>
          {dialog.choices.map((c, i) => (
            <Text key={c.value} inverse={i === dialog.cursor}>
              {wrap(`${c.value}${c.description ? ` — ${c.description}` : ''}`, inner - 2)
                .map((l, k) => `${k ? '  ' : i === dialog.cursor ? '› ' : '  '}${l}`)
                .join('\n')}
            </Text>
          ))}
          {dialog.error ? <Text color={color('red')}>{dialog.error}</Text> : null}
          <Text dimColor>↑↓ choose · Enter confirms · Esc cancels</Text>
        </>
      ) : (
        <Input text={dialog.secret ? '•'.repeat(dialog.text.length) : dialog.text} error={dialog.error} />
      )}
    </Box1>
  );
}

/** The sign-off: who signs, what passed, and the statement to edit. */
function SignoffDialog({
  dialog,
  width,
  extra,
}: {
  dialog: Extract<Dialog, { kind: 'signoff' }>;
  width: number;
  extra: DialogExtra;
}) {
  const v = extra.signoff;
  if (!v) return null;
  return (
    <Box1 title={`Sign off: ${v.title}`} width={width} tone="green">
      <Text>Signing as: {extra.operator}</Text>
      <Text>{truncate(v.steps, width - 4)}</Text>
      {v.gate.map((g) => (
        <Text key={g.text} color={color(g.passed ? 'green' : 'yellow')}>
          {truncate(g.text, width - 4)}
        </Text>
      ))}
      <Text>Statement (edit it to say what you vouch for):</Text>
      <Input text={dialog.text} error={dialog.error} />
    </Box1>
  );
}

/** A word to type before what cannot be undone: what it changes first. */
function ConfirmWordDialog({ dialog, width }: { dialog: Extract<Dialog, { kind: 'confirm-word' }>; width: number }) {
  return (
    <Box1
      title={
        {
          pnr: 'Point of no return',
          destructive: 'Destructive step',
          stop: 'Step left running',
          rollback: 'Start a rollback',
        }[dialog.purpose]
      }
      width={width}
      tone="red"
    >
      <Text color={color('red')}>{dialog.prompt}</Text>
      {dialog.change?.length ? (
        <Box flexDirection="column">
          <Text bold>What it changes:</Text>
          {dialog.change.map((l, i) => (
            <Text key={i} color={color(l.startsWith('+') ? 'green' : l.startsWith('-') ? 'red' : undefined)}>
              {l}
            </Text>
          ))}
        </Box>
      ) : null}
      <Text>
        Type <Text bold>{dialog.word}</Text> to go on:
      </Text>
      <Input text={dialog.text} error={dialog.error} />
    </Box1>
  );
}

export function HelpOverlay({ width, screen }: { width: number; screen: ScreenId }) {
  const here = SCREEN_KEYS[screen] ?? [];
  return (
    <Box1 title="Keys" width={width}>
      {[...here, ...GLOBAL_KEYS].map(([k, v]) => (
        <Text key={k + v}>
          <Text bold>{k.padEnd(12)}</Text>
          {v}
        </Text>
      ))}
      <Text dimColor>Esc closes this help</Text>
    </Box1>
  );
}
