/**
 * `WWW-Authenticate` parsing (RFC 7235 auth-params). Registries put commas inside quoted values
 * (`scope="repository:a:pull,push"`) and some send several challenges in one header, so a
 * split-on-comma parser gets scopes wrong; this one tokenises.
 */
export interface Challenge {
  /** Lower-cased: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const skipSeparators = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const readToken = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m) return undefined;
    i = re.lastIndex;
    return m[0];
  };
  const readQuoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote (or end)
    return value;
  };

  skipSeparators();
  while (i < header.length) {
    const scheme = readToken(TOKEN);
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skipSpace();
    // Parameters until the next token that is not followed by '=' (the next scheme).
    for (;;) {
      skipSeparators();
      const start = i;
      const name = readToken(TOKEN);
      if (!name) {
        // token68 form (`Negotiate abc==`): keep it, it is not ours to interpret.
        const t68 = readToken(TOKEN68);
        if (t68) challenge.params[''] = t68;
        break;
      }
      skipSpace();
      if (header[i] !== '=') {
        i = start;
        break;
      }
      i++;
      skipSpace();
      const value = header[i] === '"' ? readQuoted() : (readToken(TOKEN68) ?? '');
      challenge.params[name.toLowerCase()] = value;
    }
    skipSeparators();
  }
  return out;
}

/** The challenge we can answer, preferring Bearer (scoped, short-lived) over Basic. */
export function pickChallenge(headers: string[]): Challenge | undefined {
  const all = headers.flatMap(parseChallenges);
  return all.find((c) => c.scheme === 'bearer' && c.params.realm) ?? all.find((c) => c.scheme === 'basic');
}
