// Where the entries of a kpt ResourceList begin, found by a line scan instead of a parse.
//
// kpt writes `items:` at column 0 and each entry as `- ` at column 0. A line at column 0 can
// only be something other than a new entry or a root key when it continues a token that began
// above it: a quoted scalar or a flow collection spanning lines (block scalars and plain
// scalars cannot reach column 0 there). So the scan checks every line that could open such a
// token, and gives up (undefined: parse the whole input) wherever it cannot prove the token
// closes on its own line. Anything it does not understand is a reason to give up, never to guess.

export interface ItemSplit {
  /** Offset of the first entry's `-` (the header is everything before it). */
  headerEnd: number;
  /** [start, end) of each entry: from its `- ` line to the next entry's, or to the trailer. */
  entries: Array<{ start: number; end: number }>;
  /** Offset of the first root key after the items (text.length when there is none). */
  trailerStart: number;
}

/** The split, or undefined when a boundary cannot be proven. */
export function splitItems(text: string): ItemSplit | undefined {
  // CR (alone or in CRLF), tabs and a BOM each change what a line or its indentation is.
  if (/[\r\t\uFEFF]/.test(text)) return undefined;
  let headerEnd = -1;
  let inItems = false;
  let sawItemsKey = false;
  const entries: Array<{ start: number; end: number }> = [];
  let trailerStart = text.length;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const first = text.charCodeAt(start);
    if (start < end && first !== 0x20 && first !== 0x23 /* # */) {
      // A line at column 0: a root key, an entry, or something the scan does not handle.
      const line = text.slice(start, end);
      if (inItems && (line === '-' || line.startsWith('- '))) {
        if (entries.length === 0) headerEnd = start;
        else entries[entries.length - 1]!.end = start;
        entries.push({ start, end: text.length });
      } else if (/^[A-Za-z_][A-Za-z0-9_.-]*:( |$)/.test(line)) {
        if (inItems) {
          if (entries.length === 0) return undefined; // `items:` then another key: not a block sequence here.
          entries[entries.length - 1]!.end = start;
          trailerStart = start;
          inItems = false;
        }
        if (/^items:( +#.*)?$/.test(line)) {
          if (sawItemsKey) return undefined; // a duplicate: let the parser report it.
          sawItemsKey = true;
          inItems = true;
        } else if (line.startsWith('items:')) {
          return undefined; // a value on the key's line: flow style, a tag, an anchor.
        }
      } else {
        return undefined; // `---`, `...`, directives, quoted or complex keys, flow or JSON input.
      }
    }
    if (!lineClosesItsTokens(text, start, end)) return undefined;
    start = end + 1;
  }
  if (!sawItemsKey || entries.length === 0) return undefined;
  return { headerEnd, entries, trailerStart };
}

/**
 * False when the line may open a quoted scalar or flow collection that goes on past it, or a
 * node with properties (anchors, aliases, tags) whose scope a split could cut.
 */
export function lineClosesItsTokens(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && text.charCodeAt(i) === 0x20) i++;
  // Block-structure indicators before the first node: `- `, `? `, and a key's `: `.
  for (;;) {
    if (i >= end) return true;
    const c = text[i]!;
    if (c === '#') return true;
    if ((c === '-' || c === '?' || c === ':') && (i + 1 === end || text[i + 1] === ' ')) {
      if (c === '?') return false;
      i += 1;
      while (i < end && text[i] === ' ') i++;
      continue;
    }
    break;
  }
  // At a node's start: what opens a multi-line token, or carries properties, is checked here.
  for (;;) {
    const c = text[i]!;
    if (c === '&' || c === '*' || c === '!' || c === '%' || c === '@' || c === '`') return false;
    if (c === '[' || c === '{') return false; // flow collections: left to the full parse
    let j = i;
    if (c === '"') {
      j = i + 1;
      while (j < end && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= end) return false;
      j += 1;
    } else if (c === "'") {
      j = i + 1;
      for (;;) {
        while (j < end && text[j] !== "'") j++;
        if (j >= end) return false;
        if (text[j + 1] === "'") j += 2;
        else break;
      }
      j += 1;
    } else {
      // A plain scalar or key: up to `: `, ` #` or the end of the line.
      while (j < end && !(text[j] === ':' && (j + 1 === end || text[j + 1] === ' ')) && !(text[j] === '#' && text[j - 1] === ' ')) j++;
    }
    while (j < end && text[j] === ' ') j++;
    if (j >= end || text[j] === '#') return true;
    if (text[j] === ':' && (j + 1 === end || text[j + 1] === ' ')) {
      // A key: its value starts after the `: `.
      i = j + 1;
      while (i < end && text[i] === ' ') i++;
      if (i >= end || text[i] === '#') return true;
      continue;
    }
    // Text after a closed quoted scalar that is not a key, comment or line end: unusual, give up.
    return c !== '"' && c !== "'";
  }
}

const CORE_NON_STRINGS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/**
 * True when the entry's text proves it is a map whose `apiVersion` and `kind` are plain strings
 * (so it is a KRM object the full parse would not report), and holds none of the text that could
 * make it matter: a marker (or a `\` escape that could spell one), a Flux image object, a Secret.
 */
export function entryCanBeSkipped(text: string, start: number, end: number): boolean {
  const chunk = text.slice(start, end);
  if (/\$imagepolicy|\\|Secret|ImagePolicy|ImageRepository/.test(chunk)) return false;
  // `- key: …` puts the entry's map at column 2; its keys are the lines indented exactly 2.
  if (!/^- [A-Za-z]/.test(chunk)) return false;
  const value = (key: string): string | undefined => new RegExp(`^(?:- |  )${key}: ([^ #]+)(?: +#.*)?$`, 'm').exec(chunk)?.[1];
  const plainString = (v: string | undefined) => v !== undefined && /^[A-Za-z][A-Za-z0-9._/-]*$/.test(v) && !CORE_NON_STRINGS.has(v);
  return plainString(value('apiVersion')) && plainString(value('kind'));
}

/** Whether the text's last lines (before `end`) are comments: they may belong to the next node. */
export function endsWithComment(text: string, start: number, end: number): boolean {
  let lineEnd = end;
  while (lineEnd > start) {
    const lineStart = text.lastIndexOf('\n', lineEnd - 2) + 1;
    const line = text.slice(Math.max(lineStart, start), lineEnd).trim();
    if (line.startsWith('#')) return true;
    if (line !== '') return false;
    lineEnd = Math.max(lineStart, start);
    if (lineStart <= start) return false;
  }
  return false;
}
