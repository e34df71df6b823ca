// Time from process start to the TUI's first frame, in a real pseudo-terminal
// (util-linux `script`), sized 80×24 as an operator's terminal is (script's own is 0×0).
// Usage: node bench/first-frame.mjs [runs] [runbook]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 10);
const runbook = process.argv[3] ?? 'examples/smoke.yaml';
const times = [];
const firsts = [];
for (let i = 0; i < runs; i++) {
  const state = mkdtempSync(join(tmpdir(), 'wm-bench-'));
  const t0 = performance.now();
  const child = spawn('script', ['-qfec', `stty cols 80 rows 24; node bin/waymark.js --runbook ${runbook}`, '/dev/null'], {
    env: { ...process.env, WAYMARK_STATE_DIR: state, COLUMNS: '80', LINES: '24', SMOKE_WORK_DIR: join(state, 'w') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (firsts.length < times.length + 1 && /Waymark/.test(out)) firsts.push(performance.now() - t0);
      if (/Press Enter/.test(out)) {
        times.push(performance.now() - t0);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('close', resolve);
  });
}
const ms = (x) => `${x.toFixed(0)} ms`;
const show = (label, xs) => {
  xs.sort((a, b) => a - b);
  console.log(`${label} over ${xs.length} runs: min ${ms(xs[0])}, median ${ms(xs[Math.floor(xs.length / 2)])}, max ${ms(xs[xs.length - 1])}`);
};
show('first frame      ', firsts);
show('start screen     ', times);
