// data.validate's comparison in a worker thread (data-validate.ts says why): it gets the
// check's params and context as plain data, opens its own connections, and sends back its
// progress lines and its outcome.
import { parentPort, workerData } from 'node:worker_threads';
import { validateHere } from './data-validate.js';
import { ConnectionManager } from './pg.js';
import { Redactor } from '../runbook/redact.js';
import type { CheckContext } from './types.js';

type Input = Pick<CheckContext, 'connectionDefs' | 'connection' | 'data' | 'baseDir' | 'artifactsDir' | 'timeoutMs'> & {
  params: Parameters<typeof validateHere>[0];
  secrets: string[];
};

const input = workerData as Input;
const port = parentPort!;
const connections = new ConnectionManager(input.connectionDefs);
try {
  const outcome = await validateHere(input.params, {
    ...input,
    connections,
    signal: new AbortController().signal, // the main thread ends this thread when it is cancelled
    redactor: new Redactor(input.secrets),
    baselines: {},
    progress: (text) => port.postMessage({ progress: text }),
  });
  port.postMessage({ done: outcome });
} catch (e) {
  port.postMessage({ error: { message: (e as Error).message, code: (e as { code?: string }).code } });
} finally {
  await connections.close();
}
