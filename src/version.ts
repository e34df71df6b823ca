// Waymark's version, alone in a module of its own: `waymark --version` loads only this
// (bin/waymark.js), not the command line, so it starts as fast as Node does.
export const VERSION = '0.1.0';
