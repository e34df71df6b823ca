import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out } from './common.js';
import { formatCheck } from '../phases/noninteractive.js';
import type { LoadedRunbook } from '../load/loader.js';
import { FIELDS } from '../runbook/connection-sources.js';

export async function checkCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const checks = lr.runbook.checks;
  if (a.flags.list || !a.positional[0]) {
    if (!a.flags.list) throw new UsageError('name a check to run, or pass --list');
    for (const [id, c] of Object.entries(checks)) out(`${id.padEnd(28)} ${c.type.padEnd(16)} ${c.title ?? ''}`);
    return 0;
  }
  const id = a.positional[0];
  if (!checks[id]) throw new UsageError(`unknown check "${id}"; waymark check --list shows them`);
  if (a.flags.explain) explain(lr, id);
  // Running a check records its result in the run when the run is not open elsewhere.
  let s;
  try {
    // one check now is not a session walking the run: the availability probes stay off
    s = await openSession(a, false, lr, { noProbes: true });
  } catch (e) {
    // a production run that may not begin yet: the check still answers, recorded in no run
    const refused = (e as { refused?: boolean }).refused;
    if ((e as Error).name !== 'LockError' && !refused) throw e;
    if (refused)
      process.stderr.write(
        `note: not recorded: no ${lr.environment} run may begin yet (${lr.environment} is promoted from ` +
          `${lr.environment ? lr.runbook.environments[lr.environment]?.promote_from : ''}, not signed off yet)\n`,
      );
    s = await openSession(a, true, lr, { noProbes: true });
  }
  try {
    // progress goes to stderr, so --json output stays one document
    const r = await s.runCheck(id, { progress: (text) => process.stderr.write(`  … ${text}\n`) });
    if (a.flags.json) out(JSON.stringify(r, null, 2));
    else for (const l of formatCheck(r)) out(l);
    return r.status === 'pass' || r.status === 'warn' ? 0 : 1;
  } finally {
    await s.close();
  }
}

/** Which server the check will talk to, field by field, and where each value came from. */
function explain(lr: LoadedRunbook, id: string): void {
  const names = Object.keys(lr.connections);
  const name = lr.runbook.checks[id].connection ?? names.find((n) => n === 'main' || n === 'default') ?? names[0];
  const c = name ? lr.connections[name] : undefined;
  if (!c) {
    process.stderr.write(`check ${id} uses no PostgreSQL connection\n`);
    return;
  }
  const say = (s: string) => process.stderr.write(`${s}\n`);
  say(`connection "${name}" (first that is set wins: the runbook or its vars set in the environment or env file,`);
  say("  then the connection url, then PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD, then the vars' defaults):");
  for (const f of FIELDS) {
    const v = c.fields[f].value;
    const shown = v === undefined ? '(not set)' : f === 'password' ? '***' : v;
    say(`  ${f.padEnd(9)} ${v === undefined ? shown : `${shown.padEnd(24)} from ${c.fields[f].source}`}`);
  }
}
