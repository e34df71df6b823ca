// `waymark repair`: the audit log is the run's source of truth, and `reduce` is pure, so the
// state is rebuilt by replaying the log. Nothing is deleted: a damaged state file and a
// damaged log are set aside beside the new ones.
import { existsSync, renameSync } from 'node:fs';
import { hostName } from '../state/host.js';
import type { ParsedArgs } from './args.js';
import { load, out, sessionOptions } from './common.js';
import { openRunStore } from '../state/run-store.js';
import { fingerprintOf } from '../phases/run-identity.js';
import { UsageError } from '../runbook/errors.js';
import { AuditLog, readLines, verifyLines, type AuditEntry } from '../state/audit.js';
import { StateStore } from '../state/store.js';
import { writeWhole } from '../state/durable.js';
import { replay } from '../phases/replay.js';

export async function repairCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const o = sessionOptions(a, true);
  const store = openRunStore(lr.runbook, o.fingerprint ?? fingerprintOf(lr), o);
  if (store.rebuildRefusal) throw new UsageError(store.rebuildRefusal);
  const { operator } = o;
  const paths = store.paths;
  store.hold(operator);
  try {
    const { lines, torn } = readLines(paths.audit);
    const v = verifyLines(lines);
    // the lines before the first damaged one are the record that can be trusted
    const good = v.ok ? lines : lines.slice(0, (v.badLine ?? 1) - 1);
    const entries = good.map((l) => JSON.parse(l) as AuditEntry);
    const state = replay(lr.runbook, undefined, entries, good);
    if (!state) {
      out(
        `nothing to rebuild from: the audit log ${paths.audit} holds no run (no run.created ` +
          `line${v.ok ? '' : ` before the damage at line ${v.badLine}`})`,
      );
      return 1;
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const setAside: string[] = [];
    if (existsSync(paths.state)) {
      renameSync(paths.state, `${paths.state}.replaced-${stamp}`);
      setAside.push(`${paths.state}.replaced-${stamp}`);
    }
    if (!v.ok || torn !== undefined) {
      renameSync(paths.audit, `${paths.audit}.damaged-${stamp}`);
      setAside.push(`${paths.audit}.damaged-${stamp}`);
      writeWhole(paths.audit, good.map((l) => l + '\n').join(''));
    }
    const log = new AuditLog(paths.audit, lr.redactor);
    log.append('state.repaired', operator, hostName(), {
      fromEvents: entries.length,
      damagedAt: v.ok ? undefined : v.badLine,
      setAside,
    });
    new StateStore(paths.state).save({ ...state, audit: log.head });
    out(`rebuilt the state of run ${state.runId.slice(0, 8)} from ${entries.length} audit events (${paths.state})`);
    if (!v.ok)
      out(`the audit log was damaged at line ${v.badLine} (${v.problem}); the lines from there on were not used`);
    for (const f of setAside) out(`set aside, not deleted: ${f}`);
    out('output tails and check evidence are not kept in the audit log: steps replayed from it show none');
    return 0;
  } finally {
    store.release();
  }
}
