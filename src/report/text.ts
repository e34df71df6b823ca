// Text for print: fonts lack most pictographs (the seed's ✅ prints as a box), so they become words.
const GLYPHS: Record<string, string> = { '✅': '[OK]', '❌': '[FAILED]', '⚠️': '[!]', '⚠': '[!]', '✔': '[ok]', '✗': '[x]', '⛔': '[STOP]', '⏳': '[wait]' };

export const textOnly = (s: string) =>
  s.replace(/✅|❌|⚠️|⚠|✔|✗|⛔|⏳/g, (c) => GLYPHS[c]).replace(/\p{Extended_Pictographic}\uFE0F?/gu, '[?]');

/** Text inside SVG: escaped, words for pictographs, nothing else around it. */
export const svgText = (v: unknown) =>
  textOnly(String(v ?? '')).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
