import { ConnectionManager } from '../../src/checks/pg.js';
import { Redactor } from '../../src/runbook/redact.js';
import { runCheck } from '../../src/checks/run.js';
import type { CheckDef, Connection, Entity } from '../../src/runbook/schema.js';
import type { Metric } from '../../src/checks/types.js';

export function harness(
  url: string,
  data: Record<string, Entity> = {},
  baseDir = process.cwd(),
  extra: Record<string, Connection> = {},
) {
  const connectionDefs: Record<string, Connection> = {
    main: { kind: 'postgres', url, connect_timeout_ms: 3000 },
    ...extra,
  };
  const connections = new ConnectionManager(connectionDefs);
  const baselines: Record<string, Record<string, Metric>> = {};
  return {
    connections,
    baselines,
    run: (type: string, params: Record<string, unknown> = {}, more: Partial<CheckDef> = {}) =>
      runCheck(more.title ?? type, { type, params, ...more } as CheckDef, {
        connections,
        connectionDefs,
        data,
        baseDir,
        redactor: new Redactor(['s3cret-pass']),
        baselines,
      }),
    close: () => connections.close(),
  };
}
