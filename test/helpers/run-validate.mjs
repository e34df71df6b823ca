// Runs data.validate from the built code in a child process (the memory-bound test).
import { ConnectionManager } from '../../dist/checks/pg.js';
import { Redactor } from '../../dist/runbook/redact.js';
import { runCheck } from '../../dist/checks/run.js';

export async function harnessRun(url, dir) {
  const connectionDefs = { main: { kind: 'postgres', url } };
  const connections = new ConnectionManager(connectionDefs);
  const data = { users: { file: 'users.json', path: 'users', key: 'id', table: 'big_users' } };
  const r = await runCheck(
    'big',
    {
      type: 'data.validate',
      timeout: '10m',
      params: { entities: [{ name: 'users', fields: { email: 'email', name: 'name' } }] },
    },
    { connections, connectionDefs, data, baseDir: dir, redactor: new Redactor(), baselines: {} },
  );
  await connections.close();
  return r;
}
