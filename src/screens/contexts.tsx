// What the screens may do, as gemini-cli's UIActionsContext: named callbacks, and every key
// press through one place. Screens get what they show as props (their view models), never
// the controller or the session.
import React, { createContext, useContext } from 'react';
import { useInput } from 'ink';
import type { KeyInfo } from './model.js';

export interface UIActions {
  /** a key press, or a chunk of them (fast typing, a paste): the controller splits and handles it */
  handleKey(input: string, key: KeyInfo): void;
}

export const UIActionsContext = createContext<UIActions | null>(null);

export function useUIActions(): UIActions {
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
