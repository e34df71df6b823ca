// The allowed_signers file of ssh-keygen(1) ("ALLOWED SIGNERS"), which git reads through
// gpg.ssh.allowedSignersFile: `principals [options] keytype base64-key [comment]`.
// Waymark answers the question `ssh-keygen -Y verify -I identity` answers: may this key
// sign for this identity in this namespace, now?

export interface AllowedSigner {
  line: number;
  principals: string;
  options: Record<string, string | true>;
  keyBlob: Buffer;
}

/** Splits off one field: a double-quoted string (quotes removed) or a run of non-blanks. */
function field(s: string): [string, string] {
  const t = s.replace(/^\s+/, '');
  if (t.startsWith('"')) {
    const end = t.indexOf('"', 1);
    if (end < 0) throw new Error('an unterminated quote');
    return [t.slice(1, end), t.slice(end + 1)];
  }
  const m = /^\S+/.exec(t);
  return [m ? m[0] : '', t.slice(m ? m[0].length : 0)];
}

/** Options: comma-separated `name` or `name="value"` (values may hold commas inside quotes). */
function parseOptions(s: string): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const m of s.matchAll(/([A-Za-z-]+)(?:="([^"]*)")?(?:,|$)/g)) if (m[1]) out[m[1].toLowerCase()] = m[2] ?? true;
  return out;
}

const isKeyType = (t: string) => /^(ssh-|ecdsa-|sk-)/.test(t);

/** Reads the file's text; a malformed line is reported with its number, as ssh-keygen does. */
export function parseAllowedSigners(text: string): { signers: AllowedSigner[]; problems: string[] } {
  const signers: AllowedSigner[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    try {
      const [principals, rest] = field(l);
      let [next, after] = field(rest);
      let options: Record<string, string | true> = {};
      if (!isKeyType(next)) {
        options = parseOptions(next);
        [next, after] = field(after);
      }
      const [b64] = field(after);
      if (!isKeyType(next) || !b64) throw new Error('no key');
      signers.push({ line: i + 1, principals, options, keyBlob: Buffer.from(b64, 'base64') });
    } catch (e) {
      problems.push(`line ${i + 1}: ${(e as Error).message === 'no key' ? 'missing key' : (e as Error).message}`);
    }
  });
  return { signers, problems };
}

/** ssh's match_pattern: `*` and `?` wildcards. */
function matchPattern(s: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(s);
}

/** ssh's match_pattern_list: comma-separated patterns; a matching `!pattern` denies. */
export function matchList(s: string, list: string): boolean {
  let matched = false;
  for (const p of list.split(',')) {
    if (p.startsWith('!')) {
      if (matchPattern(s, p.slice(1))) return false;
    } else if (matchPattern(s, p)) matched = true;
  }
  return matched;
}

/** YYYYMMDD[HHMM[SS]][Z] → ms; local time unless Z, as ssh-keygen reads it. */
function parseTime(v: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(v);
  if (!m) return undefined;
  const parts = [+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)] as const;
  return m[7] ? Date.UTC(...parts) : new Date(...parts).getTime();
}

function usable(s: AllowedSigner, namespace: string, now: Date): boolean {
  if (s.options['cert-authority']) return false; // certificates are not used for Waymark signatures
  const ns = s.options.namespaces;
  if (typeof ns === 'string' && !matchList(namespace, ns)) return false;
  const after = typeof s.options['valid-after'] === 'string' ? parseTime(s.options['valid-after']) : undefined;
  const before = typeof s.options['valid-before'] === 'string' ? parseTime(s.options['valid-before']) : undefined;
  if (after !== undefined && now.getTime() < after) return false;
  if (before !== undefined && now.getTime() > before) return false;
  return true;
}

/** The principal patterns under which this key may sign in this namespace now. */
export function principalsFor(
  signers: AllowedSigner[],
  keyBlob: Buffer,
  namespace: string,
  now = new Date(),
): string[] {
  return signers.filter((s) => s.keyBlob.equals(keyBlob) && usable(s, namespace, now)).map((s) => s.principals);
}

/** May this key sign as this identity? (`ssh-keygen -Y verify -I identity`) */
export function allowed(
  signers: AllowedSigner[],
  identity: string,
  keyBlob: Buffer,
  namespace: string,
  now = new Date(),
): boolean {
  return principalsFor(signers, keyBlob, namespace, now).some((p) => matchList(identity, p));
}
