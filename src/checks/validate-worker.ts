// The entities of one JSON file compared in a worker thread (data-validate.ts says why): it
// gets their specs and the check's context as plain data, opens its own connections, writes
// each entity's discrepancies to its part of the file, and sends back progress and numbers.
import { parentPort, workerData } from 'node:worker_threads';
import { createWriteStream } from 'node:fs';
import { validateAll, type EntitySpec, type ValidateOptions } from './validate-run.js';
import { ConnectionManager } from './pg.js';
import { Redactor } from '../runbook/redact.js';
import type { CheckContext } from './types.js';
import type { Diff } from './validate-kinds.js';

type Input = Pick<CheckContext, 'connectionDefs' | 'connection' | 'data' | 'baseDir' | 'timeoutMs'> & {
  specs: EntitySpec[];
  options: Omit<ValidateOptions, 'emit'>;
  parts: Record<string, string>;
};

const input = workerData as Input;
const port = parentPort!;
// the main thread says when a core has nothing to do (another file's comparison ended)
let spareCore!: () => void;
const spare = new Promise<void>((r) => (spareCore = r));
port.on('message', (m: { spareCore?: boolean }) => {
  if (m.spareCore) spareCore();
});
port.unref(); // listening does not keep this thread alive
const connections = new ConnectionManager(input.connectionDefs);
const streams = new Map<string, ReturnType<typeof createWriteStream>>();
const emit = (d: Diff) => {
  let s = streams.get(d.entity);
  if (!s) streams.set(d.entity, (s = createWriteStream(input.parts[d.entity])));
  s.write(JSON.stringify(d) + '\n');
};
try {
  const stats = await validateAll(
    input.specs,
    {
      ...input,
      connections,
      signal: new AbortController().signal, // the main thread ends this thread when it is cancelled
      redactor: new Redactor(), // values are masked where the outcome is made, in the main thread
      baselines: {},
      progress: (text) => port.postMessage({ progress: text }),
    },
    { ...input.options, emit, spareCore: spare },
  );
  await Promise.all([...streams.values()].map((s) => new Promise<void>((r) => s.end(() => r()))));
  port.postMessage({ done: stats });
} catch (e) {
  port.postMessage({ error: { message: (e as Error).message, code: (e as { code?: string }).code } });
} finally {
  await connections.close();
}
