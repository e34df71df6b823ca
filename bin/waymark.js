#!/usr/bin/env node
// CommonJS (bin/package.json), so that `waymark --version` starts as Node does: an ES module
// entry costs the module loader's start-up first (measured: 1.18× `node -e 0` as a module, 1.06×
// as this). The command line itself is an ES module, imported below.
'use strict';
const first = process.argv[2];
if (first === '--version' || first === '-v') {
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
} else void run();

async function run() {
  // node-postgres asks as it loads whether it runs on Cloudflare Workers: where there is no
  // `navigator` (Node 20; Node 21 and later have one) it makes a Response, and that loads
  // Node's fetch (undici): about 20 ms of a 220 ms `waymark check`. The navigator Node 21 gives.
  if (!('navigator' in globalThis))
    Object.defineProperty(globalThis, 'navigator', {
      value: {
        userAgent: `Node.js/${process.versions.node.split('.')[0]}`,
        hardwareConcurrency: require('node:os').availableParallelism(),
      },
      configurable: true,
      writable: true,
    });
  const { main } = await import('../dist/bundle/cli.js');

  // A hangup (a dropped SSH session) is handled by the run itself: it stops the running
  // step, records it and releases its locks. Waymark then ends by the same signal, as
  // a shell expects, rather than by a normal exit: Node's exit path resets the terminal
  // that is gone and aborts with an assertion (nodejs/node#42433).
  let hungUp = false;
  const onHangup = () => {
    hungUp = true;
    if (process.listenerCount('SIGHUP') === 1) endByHangup(); // nothing else to stop
  };
  function endByHangup() {
    process.off('SIGHUP', onHangup);
    process.kill(process.pid, 'SIGHUP');
  }
  process.on('SIGHUP', onHangup);

  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      if (hungUp) endByHangup();
    },
    (err) => {
      console.error(`waymark: ${err && err.message ? err.message : err}`);
      process.exitCode = 1;
      if (hungUp) endByHangup();
    },
  );
}
