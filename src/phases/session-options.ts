// What a session is opened with: where the run lives, who works it, its clock, and what it runs.
export interface SessionOptions {
  stateDir: string;
  operator: string;
  /** the signing key (a private key file, or a .pub held by ssh-agent); else WAYMARK_SIGNING_KEY, else Waymark's own */
  signingKey?: string;
  /** the clock; tests move it forward to pass wait gates */
  now?: () => Date;
  /** do not take the lock (read-only commands: status, plan, audit) */
  readOnly?: boolean;
  /** do not run the runbook's availability probes (tests that do not test them) */
  noProbes?: boolean;
  /** a fixed run identity (the demo's ports change between starts; its run must not) */
  fingerprint?: string;
  /** a read-only session follows the run another session writes: its state is read again every second */
  follow?: boolean;
  /** a state database without a run of this runbook may get a new one (never silently: --new-run, or asked) */
  newRun?: boolean;
  /** the trust file a promoted run's staging run is checked against (--allowed-signers); else the runbook's */
  allowedSigners?: string;
  /** a PostgreSQL URL: the run lives in its `waymark` schema (state/pg-store.ts), not in stateDir/runs */
  stateUrl?: string;
  /** webhook retries, timeout and how long closing waits for them (tests make them short) */
  notify?: { attempts?: number; backoffMs?: number; timeoutMs?: number; closeMs?: number };
}
