// node bench/until.mjs TEXT CMD [ARGS…]: runs CMD on this terminal's pty and ends it as soon
// as its output contains TEXT (the first useful screen), passing its output through.
import { spawn } from 'node:child_process';
const [text, cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ['inherit', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  out += d;
  if (out.includes(text)) {
    child.kill('SIGKILL');
    process.exit(0);
  }
});
child.on('close', (code) => process.exit(code ?? 1));
