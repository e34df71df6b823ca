// A phase's availability as a picture (inline SVG, A4-wide, readable in black and white):
// the probe's record as a bar, outages as dark blocks on it, the longest answer as a line
// above it, and the command steps (restarts among them) below it as they ran, start to end.
import type { PhaseAvailability } from './build.js';
import { svgText } from './text.js';

const W = 680;
const BAR = { y: 40, h: 30 };
const GOOD = '#5cb85c';
const FAILED = '#d9534f';
const OUTAGE = '#a00';

export function timeline(a: PhaseAvailability): string {
  const t0 = Date.parse(a.from);
  const span = Math.max(1, Date.parse(a.to) - t0);
  const x = (t: string) => Math.max(0, Math.min(W, ((Date.parse(t) - t0) / span) * W));
  const f = (n: number) => n.toFixed(1);
  const overlaps = (s: { from: string; to: string }, w: { start: string; end: string }) =>
    Date.parse(w.start) <= Date.parse(s.to) && Date.parse(w.end) >= Date.parse(s.from);
  const maxLat = Math.max(1, ...a.spans.map((s) => s.maxLatencyMs));
  // Every failed answer opens an outage (until the next good one), drawn dark on top: a
  // summary's span is green around it. Red only where failures have no outage to show them.
  const bands = a.spans
    .map((s) => {
      const unexplained = s.failed > 0 && !a.outages.some((w) => overlaps(s, w));
      const title = `${s.from} – ${s.to}: ${s.ok} good, ${s.failed} failed`;
      return (
        `<rect x="${f(x(s.from))}" y="${BAR.y}" width="${f(Math.max(1, x(s.to) - x(s.from)))}" ` +
        `height="${BAR.h}" fill="${unexplained ? FAILED : GOOD}"><title>${svgText(title)}</title></rect>`
      );
    })
    .join('');
  const lat = a.spans.map((s) => `${f(x(s.to))},${f(38 - (s.maxLatencyMs / maxLat) * 30)}`).join(' ');
  const outs = a.outages
    .map((w) => {
      const title = `outage ${(w.ms / 1000).toFixed(1)} s from ${w.start}: ${w.firstError}`;
      return (
        `<rect x="${f(x(w.start))}" y="${BAR.y - 4}" width="${f(Math.max(2, x(w.end) - x(w.start)))}" ` +
        `height="${BAR.h + 8}" fill="${OUTAGE}"><title>${svgText(title)}</title></rect>`
      );
    })
    .join('');
  // steps on three rows below the bar; a label near the right edge ends at its step instead
  const marks = a.marks
    .map((m, i) => {
      const y = 82 + (i % 3) * 13;
      const x1 = x(m.from ?? m.at);
      const x2 = Math.max(x1 + 2, x(m.at));
      const right = x1 > W - 160;
      const label =
        `<text x="${f(right ? x2 : x1)}" y="${y + 9}" ` +
        `font-size="7"${right ? ' text-anchor="end"' : ''}>${svgText(m.title.slice(0, 40))}</text>`;
      return (
        `<line x1="${f(x1)}" y1="${BAR.y + BAR.h}" x2="${f(x1)}" y2="${y}" stroke="#999" ` +
        `stroke-width="0.5"/><rect x="${f(x1)}" y="${y - 1}" width="${f(x2 - x1)}" height="3" fill="#333"/>${label}`
      );
    })
    .join('');
  const H = 82 + Math.min(3, a.marks.length) * 13 + 4;
  const none = a.spans.length ? '' : `<text x="4" y="60" font-size="10">no probe data while this phase ran</text>`;
  return (
    `<figure class="timeline"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="availability ` +
    `and latency while the phase ran">` +
    `<rect x="0" y="${BAR.y}" width="${W}" height="${BAR.h}" ` +
    `fill="#eee"/>${bands}${outs}` +
    `${lat ? `<polyline points="${lat}" fill="none" stroke="#1f4e8c" stroke-width="1"/>` : ''}${marks}${none}` +
    `<text x="0" y="10" font-size="8">${svgText(a.from)}</text><text x="${W}" y="10" font-size="8" ` +
    `text-anchor="end">${svgText(a.to)}</text>` +
    `<text x="0" y="24" font-size="8" fill="#1f4e8c">longest answer per span (max ${maxLat} ms)</text></svg>` +
    `<figcaption>Availability while the phase ran: green, every answer good; dark red, an outage (listed below); ` +
    `red, failed answers outside any outage; grey, no probe data. The line is the longest answer; below the bar, ` +
    `the command steps as they ran.</figcaption></figure>`
  );
}
