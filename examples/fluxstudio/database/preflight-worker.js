// users.json's pre-flight in a worker thread, while the main thread checks projects.json.
// Rows go to the main thread 256 kB at a time, at most a few chunks ahead of what it has
// written to PostgreSQL; rejections go one by one, with their record.
import { parentPort, workerData } from 'node:worker_threads';
import { preflight } from './preflight.js';

const AHEAD = 8;
let inFlight = 0;
let resume;
parentPort.on('message', (m) => {
  if (m === 'ack') {
    inFlight--;
    if (resume && inFlight < AHEAD) {
      resume();
      resume = undefined;
    }
  }
});
const bufs = {};
async function send(key) {
  const text = bufs[key];
  bufs[key] = '';
  if (!text) return;
  inFlight++;
  parentPort.postMessage({ t: 'rows', key, text });
  if (inFlight >= AHEAD) await new Promise((r) => (resume = r));
}
let seen = 0;
const plan = await preflight('users', {
  stage(entity, part, line) {
    const key = `${entity}#${part}`;
    bufs[key] = (bufs[key] ?? '') + line;
    return bufs[key].length >= 1 << 18 ? send(key) : undefined;
  },
  reject: (x, field, value, reason) => parentPort.postMessage({ t: 'reject', x, field, value, reason }),
  defaulted: (x, fields) => parentPort.postMessage({ t: 'defaulted', x, fields }),
  progress() {
    if (++seen % 10_000 === 0) parentPort.postMessage({ t: 'progress', n: 10_000 });
  },
}, { defaults: workerData?.defaults });
for (const key of Object.keys(bufs)) await send(key);
parentPort.postMessage({ t: 'progress', n: seen % 10_000 });
parentPort.postMessage({ t: 'done', plan });
parentPort.unref();
