import { CST, parseDocument, isScalar, Scalar } from 'yaml';
import { scalarContext } from './comments.js';
import type { MarkedField } from './find.js';
import type { MarkerSuffix } from './marker.js';

/**
 * The text Flux writes for a marker: no suffix → `image:tag` (here with `@digest` when one is
 * known), `:tag` → the tag, `:name` → the image name as the policy's repository spells it,
 * `:digest` → the digest.
 */
export function markerValue(
  suffix: MarkerSuffix | undefined,
  r: { image: string; tag: string; digest?: string },
): string {
  switch (suffix) {
    case 'tag':
      return r.tag;
    case 'name':
      return r.image;
    case 'digest':
      if (!r.digest) throw new Error(`a ":digest" marker needs a digest for ${r.image}:${r.tag}`);
      return r.digest;
    default:
      return r.digest ? `${r.image}:${r.tag}@${r.digest}` : `${r.image}:${r.tag}`;
  }
}

// Words that some YAML 1.1 reader (go-yaml v2, which Kubernetes tooling and Flux's own check
// use) or YAML 1.2 reader resolves to something other than a string, beyond what the two
// schema probes below already catch.
const EXTRA_NON_STRINGS = new Set(['<<', '=']);

/**
 * Whether `value` must be quoted to be read back as exactly this string, by YAML 1.2 (core) and
 * YAML 1.1 readers alike. Flux quotes values that go-yaml v2 would read as a non-string; this
 * also covers 1.2-only forms (`0o17`), YAML 1.1 timestamps and sexagesimals, and anything that
 * would not survive as a plain scalar (`: `, ` #`, leading indicators, edge whitespace).
 */
/*
 * Four yaml parses per call: 500 pins of 50 distinct values spent ~0.3 s here. The answer depends
 * on the value and the context alone, so it is kept per run (bounded: values are image references).
 */
const quotingAnswers = new Map<string, boolean>();

export function needsQuoting(value: string, inFlow = false): boolean {
  const key = `${inFlow ? 'f' : 'b'}${value}`;
  let answer = quotingAnswers.get(key);
  if (answer === undefined) {
    answer = decideQuoting(value, inFlow);
    if (quotingAnswers.size < 10_000) quotingAnswers.set(key, answer);
  }
  return answer;
}

/*
 * An image reference as pins write them (`registry:5000/team/app:1.2.3@sha256:…`): word
 * characters and `._/:@+-` only, starting with a letter or digit, not ending in `:`, and holding
 * a `/`, which no YAML 1.1 or 1.2 number, boolean, null, timestamp or sexagesimal can hold. Such
 * a value reads back as itself everywhere, so the four parses below are not needed to say so
 * (the first pin of each distinct value paid them: ~30 ms for 50 values in a cold run).
 * test/markers/quoting.test.ts checks that the parses agree for every value this admits.
 */
const PLAIN_REFERENCE = /^(?=[^/]*\/)[A-Za-z0-9][A-Za-z0-9._/:@+-]*(?<!:)$/;

function decideQuoting(value: string, inFlow: boolean): boolean {
  if (PLAIN_REFERENCE.test(value)) return false;
  return quotingByParsing(value, inFlow);
}

/** decideQuoting without the shortcut for image references: what the shortcut must agree with. */
export function quotingByParsing(value: string, inFlow: boolean): boolean {
  if (value === '' || EXTRA_NON_STRINGS.has(value)) return true;
  if (!isPlainSafeChars(value)) return true;
  if (value !== value.trim()) return true;
  if (inFlow && /[,[\]{}]/.test(value)) return true;
  if (isGoIntLiteral(value)) return true;
  for (const schema of ['core', 'yaml-1.1'] as const) {
    // Read as a whole document, the strictest position: at column 0 `---`, `...` and `%`
    // mean something too.
    const doc = parseDocument(value, { schema, uniqueKeys: false });
    if (doc.errors.length > 0 || doc.warnings.length > 0) return true;
    const c = doc.contents;
    if (!isScalar(c) || c.type !== Scalar.PLAIN || typeof c.value !== 'string' || c.value !== value) return true;
    // The same text after a key must stay one plain string too (`a: b` inside the value).
    const inMap = parseDocument(`k: ${value}\n`, { schema, uniqueKeys: false });
    if (inMap.errors.length > 0 || (inMap.toJS() as { k?: unknown } | null)?.k !== value) return true;
  }
  return false;
}

// go-yaml v2 strips `_` and then accepts anything strconv.ParseInt(s, 0, 64) takes.
function isGoIntLiteral(value: string): boolean {
  const s = value.replace(/_/g, '');
  return /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/.test(s);
}

// Plain and single-quoted scalars can hold printable characters only, and no line breaks
// (including YAML 1.1's NEL, LS and PS) or tabs, which we never want to rely on.
function isPlainSafeChars(value: string): boolean {
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0x80 && c <= 0xa0) return false; // C1 controls, NEL, and NBSP (not YAML whitespace)
    if (c === 0x2028 || c === 0x2029 || c === 0xfeff) return false;
    if (c >= 0xd800 && c <= 0xdfff) return false; // lone surrogate
    if (c === 0xfffe || c === 0xffff) return false;
  }
  return true;
}

/** A YAML double-quoted scalar for `value`, escaping everything not printable. */
export function doubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff || (c >= 0xd800 && c <= 0xdfff)) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

function singleQuoted(value: string): string | undefined {
  if (!isPlainSafeChars(value)) return undefined;
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Write `value` into the marked scalar's CST token, so YamlStream.toString() shows it and
 * nothing else changes. The scalar keeps its style when the value can be written in it: plain
 * stays plain unless the value would read as a non-string or cannot be plain (then it becomes
 * double-quoted), quoted stays quoted, and a block scalar stays a block scalar (with `-`
 * chomping, so the value carries no trailing newline, as go-yaml emits it for Flux).
 */
export function writeScalar(field: MarkedField, value: string): void {
  const token = field.scalar.srcToken;
  if (!token || !CST.isScalar(token)) {
    throw new Error(`the scalar at ${field.path.join('.')} has no source token to edit (parse with parseYamlStream)`);
  }
  const inFlow = scalarContext(token)?.inFlow ?? false;
  const current = CST.resolveAsScalar(token, false, () => {})?.value;

  if (current === value) {
    // Unchanged text: leave the bytes alone, unless it is a plain scalar that a YAML 1.1
    // reader would mistype (Flux fixes the style whenever it sets a field, too).
    const latent = token.type === 'scalar' && needsQuoting(value, inFlow);
    if (!latent) {
      field.value = value;
      return;
    }
  }

  switch (token.type) {
    case 'scalar':
      if (needsQuoting(value, inFlow)) setFlow(token, 'double-quoted-scalar', doubleQuoted(value));
      else setFlow(token, 'scalar', value);
      break;
    case 'single-quoted-scalar': {
      const sq = singleQuoted(value);
      if (sq !== undefined) setFlow(token, 'single-quoted-scalar', sq);
      else setFlow(token, 'double-quoted-scalar', doubleQuoted(value));
      break;
    }
    case 'double-quoted-scalar':
      setFlow(token, 'double-quoted-scalar', doubleQuoted(value));
      break;
    case 'block-scalar':
      writeBlock(token, value);
      break;
  }

  field.scalar.value = value;
  field.scalar.type =
    token.type === 'double-quoted-scalar'
      ? Scalar.QUOTE_DOUBLE
      : token.type === 'single-quoted-scalar'
        ? Scalar.QUOTE_SINGLE
        : token.type === 'scalar'
          ? Scalar.PLAIN
          : field.scalar.type;
  field.value = value;
}

function setFlow(token: CST.FlowScalar, type: CST.FlowScalar['type'], source: string): void {
  token.type = type;
  token.source = source;
}

function writeBlock(token: CST.BlockScalar, value: string): void {
  const header = token.props[0];
  const fitsBlock = value !== '' && value === value.trim() && isPlainSafeChars(value);
  if (!header || header.type !== 'block-scalar-header' || !fitsBlock) {
    // Turn it into a double-quoted scalar; the header line's comment and newline carry over.
    const end = token.props.slice(1) as CST.SourceToken[];
    const t = token as unknown as Record<string, unknown>;
    delete t.props;
    Object.assign(t, { type: 'double-quoted-scalar', source: doubleQuoted(value), end });
    return;
  }
  const indicators = header.source.slice(1);
  const explicit = /[1-9]/.exec(indicators);
  header.source = header.source[0] + (/[+-]/.test(indicators) ? indicators.replace(/[+-]/, '-') : indicators + '-');

  const lines = token.source.split(/(?<=\n)/);
  // Keep the blank lines that trail the content: they are layout, not part of a stripped value.
  let lastContent = -1;
  lines.forEach((l, i) => {
    if (l.trim() !== '') lastContent = i;
  });
  const trailing = lines.slice(lastContent + 1).join('');
  const firstContent = lines.find((l) => l.trim() !== '');
  let indent: string;
  if (explicit) indent = ' '.repeat(Math.max(token.indent, 0) + Number(explicit[0]));
  else if (firstContent) indent = /^ */.exec(firstContent)![0];
  else indent = ' '.repeat(Math.max(token.indent, 0) + 2);
  const eol = firstContent?.endsWith('\r\n') ? '\r\n' : lines.find((l) => l.endsWith('\r\n')) ? '\r\n' : '\n';
  token.source = indent + value + eol + trailing;
}
