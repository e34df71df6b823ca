// Secrets must never reach the screen, the state, the audit log or a report.
// Every string that leaves the process for one of those goes through a Redactor.
export const MASK = '***';

const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)([^@\s/]+)(@)/gi;
// key=value, key: value, and JSON's "key":"value"
const PASSWORD_PAIR = /\b(password|passwd|pgpassword|db_password)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&}]+)/gi;

export class Redactor {
  private readonly secrets: string[];
  constructor(secrets: Iterable<string> = []) {
    // Longest first so a secret containing another is masked whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
  }

  /** A secret learned while the run goes on (a secret input given, a secret value captured). */
  add(secret: string): void {
    if (secret.length < 3 || this.secrets.includes(secret)) return;
    this.secrets.push(secret);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join(MASK);
      const enc = encodeURIComponent(s);
      if (enc !== s && out.includes(enc)) out = out.split(enc).join(MASK);
    }
    out = out.replace(URL_PASSWORD, (_m, a: string, _p: string, c: string) => `${a}${MASK}${c}`);
    out = out.replace(PASSWORD_PAIR, (_m, k: string, sep: string, v: string) => {
      // JSON keeps its quotes so the text still reads as JSON
      const q = sep.startsWith('"') && v.startsWith('"') ? '"' : '';
      return `${k}${sep}${q}${MASK}${q}`;
    });
    return out;
  }

  /** Deep copy with every string redacted. */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return (value as unknown[]).map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }
}
