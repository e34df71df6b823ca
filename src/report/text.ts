// Text for print: fonts lack most pictographs (the seed's ✅ prints as a box), so they become words.
const GLYPHS: Record<string, string> = {
  '✅': '[OK]',
  '❌': '[FAILED]',
  '⚠️': '[!]',
  '⚠': '[!]',
  '✔': '[ok]',
  '✗': '[x]',
  '⛔': '[STOP]',
  '⏳': '[wait]',
};

export const textOnly = (s: string) =>
  s.replace(/✅|❌|⚠️|⚠|✔|✗|⛔|⏳/g, (c) => GLYPHS[c]).replace(/\p{Extended_Pictographic}\uFE0F?/gu, '[?]');

/** Any value as text: a string as it is, nothing for null, an object as JSON (never "[object Object]"). */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/** Text inside SVG: escaped, words for pictographs, nothing else around it. */
export const svgText = (v: unknown) =>
  textOnly(str(v)).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
