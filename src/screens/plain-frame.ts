// The start screen as plain text with ANSI styles, drawn before Ink, React and Yoga are loaded:
// they take most of a start (≈110 ms of ≈300 ms), and the start screen needs none of them. The
// lines are the ones Frame and ListScreen draw from the same view models; Ink then draws the same
// screen over them. Anything this cannot lay out as Ink would (a line wider than the screen, a
// screen other than the start) gives no lines: the screen then waits for Ink, as before.
import type { Snapshot } from './controller.js';
import { noColor, truncate } from './theme.js';

/** The size the App lays its screens out to (App.tsx), from the terminal's. */
export function screenSize(columns: number | undefined, rows: number | undefined) {
  return { width: Math.max(60, Math.min(columns || 80, 120)) - 1, height: Math.max(16, rows || 24) - 1 };
}

/**
 * A line's width in columns where every character is one column wide: ASCII, Latin, and the
 * punctuation, arrows, shapes and ticks the screens use (—, ·, →, ●, ✔, ✗); undefined for anything
 * else (a wide character, an emoji, a combining mark), which this does not lay out. string-width
 * would say, but its Intl.Segmenter costs ~30 ms to make: more than the rest of this screen.
 */
const EMOJI_DINGBATS = new Set([
  0x2705, 0x270a, 0x270b, 0x2728, 0x274c, 0x274e, 0x2753, 0x2754, 0x2755, 0x2757, 0x2795, 0x2796, 0x2797, 0x27b0,
  0x27bf,
]);
export function narrowWidth(text: string): number | undefined {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const one =
      (c >= 0x20 && c < 0x7f) ||
      (c >= 0xa0 && c < 0x300) ||
      (c >= 0x2000 && c < 0x2600 && c !== 0x231a && c !== 0x231b && !(c >= 0x23e9 && c <= 0x23fa)) ||
      (c >= 0x2700 && c < 0x27c0 && !EMOJI_DINGBATS.has(c));
    if (!one) return undefined;
    n++;
  }
  return n;
}

type Style = { bold?: boolean; dim?: boolean; inverse?: boolean; color?: string };
const COLORS: Record<string, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 };

function styled(text: string, s: Style): string {
  if (noColor() || !text) return text;
  const on: number[] = [];
  if (s.bold) on.push(1);
  if (s.dim) on.push(2);
  if (s.inverse) on.push(7);
  if (s.color && COLORS[s.color]) on.push(COLORS[s.color]);
  return on.length ? `\x1b[${on.join(';')}m${text}\x1b[0m` : text;
}

/**
 * A row of texts spread over the width as a Box with justifyContent "space-between" lays them
 * out: the first at the left, the last at the right, the room between shared (Yoga puts each text
 * at the whole column below its position).
 */
export function spaceBetween(items: Array<{ text: string; style: Style }>, width: number): string | undefined {
  const widths = items.map((i) => narrowWidth(i.text));
  if (widths.some((w) => w === undefined)) return undefined;
  const free = width - widths.reduce((a: number, b) => a + b!, 0);
  if (free < 0) return undefined;
  const gap = items.length > 1 ? free / (items.length - 1) : 0;
  let out = '';
  let at = 0;
  let x = 0;
  items.forEach((item, i) => {
    // Yoga floors a text's position (a fraction within 0.0001 of a whole column counts as whole)
    const left = Math.floor(x + 1e-4);
    out += ' '.repeat(Math.max(0, left - at)) + styled(item.text, item.style);
    at = left + widths[i]!;
    x += widths[i]! + gap;
  });
  return out;
}

/** The start screen's lines (Frame around ListScreen, padded to the App's height), or undefined. */
export function startScreenLines(snap: Snapshot, width: number, height: number): string[] | undefined {
  const { frame, view } = snap;
  if (snap.ui.screen !== 'start' || snap.ui.dialog || !view || !frame) return undefined;
  const a = frame.availability;
  const header = spaceBetween(
    [
      { text: frame.title, style: { bold: true } },
      ...(a ? [{ text: a.up ? '● up' : '● DOWN', style: { color: a.up ? 'green' : 'red' } }] : []),
      ...(frame.rehearsal ? [{ text: frame.rehearsal, style: { bold: true, inverse: true, color: 'yellow' } }] : []),
      { text: frame.operator, style: { dim: true } },
    ],
    width,
  );
  if (header === undefined) return undefined;
  const lines: Array<{ text: string; style: Style }> = [];
  if (frame.rollback) lines.push({ text: frame.rollback, style: { bold: true, color: 'red' } });
  if (a?.alert) lines.push({ text: a.alert, style: { bold: true, inverse: true, color: 'red' } });
  lines.push({ text: truncate(view.title, width), style: { bold: true, color: 'cyan' } });
  for (const l of view.lines)
    lines.push({
      text: l.text,
      style: { inverse: l.selected, dim: l.tone === 'dim', color: l.tone === 'dim' ? undefined : l.tone },
    });
  const m = frame.message;
  if (m) {
    const mark = m.tone === 'error' ? '✗ ' : m.tone === 'ok' ? '✔ ' : '';
    const tone = m.tone === 'error' ? 'red' : m.tone === 'ok' ? 'green' : undefined;
    lines.push({ text: `${mark}${m.text}`, style: { color: tone } });
  }
  lines.push({ text: frame.hints, style: { dim: true } });
  // a line Ink would wrap or cut is not guessed at
  if (lines.some((l) => (narrowWidth(l.text) ?? Infinity) > width) || lines.length + 1 > height) return undefined;
  const out = [header, ...lines.map((l) => styled(l.text, l.style))];
  while (out.length < height) out.push('');
  return out;
}
