// What an intent handler works with: the session it acts through, the UI store it shows the
// outcome in, and the other intents it hands on to (a step that is a sign-off asks for the
// statement). The controller makes one and gives it to every handler.
import type { Session } from '../phases/session.js';
import type { RuleAction } from '../phases/rules.js';
import type { Step } from '../runbook/schema.js';
import type { DialogPurpose, UiState } from './model.js';
import type { UiStore } from './ui-store.js';

export interface Intents {
  listLength(ui?: UiState): number;
  selectedStep(): Step | undefined;
  openSteps(scope: string, index: number): void;
  startSelected(given?: { confirmWord?: string; pnrConfirmed?: boolean; rerun?: boolean }): void;
  advance(scope: string): void;
  askStoppedFirst(scope: string, stepId: string): boolean;
  askWhy(purpose: DialogPurpose, action: RuleAction, ids: { scope: string; stepId?: string; checkId?: string }): void;
  askSignoff(gateRun?: boolean): Promise<void>;
}

export interface Ctx {
  session: Session;
  store: UiStore;
  intents: Intents;
  writeReport?: (phaseId: string) => Promise<{ file: string; untrusted: string[] }>;
  runCheck(id: string, record: boolean): Promise<void>;
  rerunSelected(): Promise<void>;
  refreshMonitor(): Promise<void>;
  refreshSuccess(): Promise<void>;
  exit(code: number, why?: string): Promise<void>;
}
