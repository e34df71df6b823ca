// Two contexts like gemini-cli's UI: the state to render and the actions to call,
// plus one place where every key press arrives.
import React, { createContext, useContext } from 'react';
import { useInput } from 'ink';
import type { Snapshot, TuiController } from './controller.js';

export const UIStateContext = createContext<Snapshot | null>(null);
export const UIActionsContext = createContext<TuiController | null>(null);

export function useUIState(): Snapshot {
  const s = useContext(UIStateContext);
  if (!s) throw new Error('useUIState outside UIStateContext');
  return s;
}

export function useUIActions(): TuiController {
  const a = useContext(UIActionsContext);
  if (!a) throw new Error('useUIActions outside UIActionsContext');
  return a;
}

/** All key handling goes through here, to the controller. */
export function KeypressProvider({ children, active = true }: { children: React.ReactNode; active?: boolean }) {
  const actions = useUIActions();
  useInput((input, key) => actions.handleKey(input, key), { isActive: active });
  return <>{children}</>;
}
