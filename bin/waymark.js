#!/usr/bin/env node
// `waymark --version` loads one small module, not the command line: it starts as Node does.
const first = process.argv[2];
if (first === '--version' || first === '-v') {
  const { VERSION } = await import('../dist/bundle/version.js');
  console.log(VERSION);
} else await run();

async function run() {
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
