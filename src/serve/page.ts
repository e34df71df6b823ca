// The watch page: one HTML document, no build step. It reads the run's model from /events
// (server-sent events) and draws it; it has no control that changes the run. Text is set with
// textContent, never parsed as HTML.

const CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c2430}
header{background:#1c2430;color:#fff;padding:.8em 1em}header h1{font-size:1.1em;margin:0}
header p{margin:.2em 0 0;opacity:.85;font-size:.9em}main{max-width:60em;margin:auto;padding:1em}
section{background:#fff;border-radius:8px;padding:.8em 1em;margin:0 0 1em;box-shadow:0 1px 2px #0002}
h2{font-size:1em;margin:.1em 0 .5em}ol{margin:0;padding-left:1.4em}li{margin:.15em 0}
.s-passed,.s-signed-off,.s-pass{color:#17753a}
.s-failed,.s-fail,.s-error,.s-interrupted{color:#b3261e}
.s-running,.s-active{color:#0b57d0;font-weight:600}.s-overridden,.s-warn,.s-skipped{color:#8a5a00}
.chip{display:inline-block;border-radius:1em;padding:0 .6em;margin:.1em;background:#eef1f5;font-size:.85em}
pre{background:#10151c;color:#e6e6e6;padding:.6em;border-radius:6px;overflow-x:auto;font-size:.85em;
white-space:pre-wrap}
.muted{color:#5f6b7a;font-size:.9em}a{color:#0b57d0}#live{float:right;font-size:.85em}
table{border-collapse:collapse;width:100%}td{padding:.2em .4em;border-top:1px solid #eee;vertical-align:top}
`;

const SCRIPT = `const token = new URLSearchParams(location.search).get('token');
const q = token ? '?token=' + encodeURIComponent(token) : '';
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};
const icon = { passed: '✔', 'signed-off': '✔', failed: '✘', running: '▶', active: '▶', skipped: '↷',
  overridden: '⚠', interrupted: '!', pending: '·' };
document.getElementById('audit').href = 'audit' + q;
function draw(m) {
  document.getElementById('title').textContent = m.runbook.title + ' v' + m.runbook.version;
  const holder = m.holder ? 'held by ' + m.holder : 'no session holds it now';
  document.getElementById('run').textContent = ['run ' + m.run.id.slice(0, 8), m.run.environment, m.run.rehearsal,
    holder, 'updated ' + m.run.updatedAt].filter(Boolean).join(' · ');
  const r = document.getElementById('running'); r.replaceChildren();
  if (m.running) {
    r.className = '';
    const since = m.running.since ? ' — since ' + m.running.since : '';
    r.append(el('div', '▶ ' + m.running.title + since, 's-running'));
    if (m.running.output.length) r.append(el('pre', m.running.output.map((l) => l.text).join('\\n')));
  } else { r.className = 'muted'; r.textContent = 'nothing is running'; }
  const ph = document.getElementById('phases'); ph.replaceChildren();
  for (const p of m.phases) {
    const box = el('div');
    box.append(el('h2', (icon[p.status] || '·') + ' ' + p.title + ' — ' + p.status, 's-' + p.status));
    if (p.signoff) box.append(el('div', p.signoff, 'muted'));
    if (p.awaiting) box.append(el('div', 'Awaiting: ' + p.awaiting, 's-active'));
    if (p.gate.length) {
      const g = el('div', 'gate: ');
      for (const c of p.gate) g.append(el('span', c.check + ' ' + c.status, 'chip s-' + c.status));
      box.append(g);
    }
    if (p.id === m.current || p.status === 'active') {
      const ol = el('ol');
      for (const s of p.steps)
        ol.append(el('li', (icon[s.status] || '·') + ' ' + s.title + ' [' + s.status + ']', 's-' + s.status));
      box.append(ol);
    }
    ph.append(box);
  }
  const t = document.getElementById('checks'); t.replaceChildren();
  for (const c of m.checks) {
    const tr = el('tr');
    tr.append(el('td', c.status, 's-' + c.status), el('td', c.title), el('td', c.summary, 'muted'));
    t.append(tr);
  }
  const rep = document.getElementById('reports'); rep.replaceChildren();
  for (const f of m.reports || []) {
    const a = el('a', f);
    a.href = 'reports/' + encodeURIComponent(f) + q;
    rep.append(a, ' ');
  }
  if (!(m.reports || []).length) rep.textContent = 'none yet';
}
const live = document.getElementById('live');
const es = new EventSource('events' + q);
es.onmessage = (e) => { live.textContent = '● live'; draw(JSON.parse(e.data)); };
es.onerror = () => { live.textContent = 'reconnecting…'; };
`;

export function watchPage(title: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — Waymark watch</title>
<style>
${CSS}</style></head><body>
<header><span id="live">connecting…</span><h1 id="title">${esc(title)}</h1><p id="run"></p></header>
<main>
<section id="now"><h2>Now</h2><div id="running" class="muted">nothing is running</div></section>
<section><h2>Phases</h2><div id="phases"></div></section>
<section><h2>Checks</h2><table id="checks"></table></section>
<section><h2>Record</h2>
<p><a id="audit" href="audit">the audit log</a> · reports: <span id="reports">none yet</span></p>
<p class="muted">Read-only: this page changes nothing in the run.</p></section>
</main>
<script>
${SCRIPT}</script></body></html>
`;
}
