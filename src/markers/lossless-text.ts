// Text that may not be UTF-8, read and written back without losing a byte.
//
// Node's `'utf8'` decoding turns every byte that is not part of a well-formed UTF-8 sequence into
// U+FFFD, so a Latin-1 `é` (0xE9) in an unrelated comment came back as EF BF BD after a pin. Here
// each such byte b (always 0x80–0xFF: every byte below 0x80 is well-formed on its own) becomes the
// lone surrogate U+DC00+b instead, the "surrogateescape" scheme of Python's PEP 383. A JavaScript
// string can hold a lone surrogate, the YAML parser keeps it as an ordinary character, and
// well-formed UTF-8 can never decode to one (the bytes of a surrogate, ED A0..BF xx, are themselves
// ill-formed), so an escape in the text always stands for exactly one original byte: there is no
// code point a real file could contain that would be confused with it. Encoding maps the escapes
// back to their bytes and everything else to UTF-8.
//
// Pure: no I/O. Callers still verify the round trip (`encodeLossless(decodeLossless(b).text)`
// equals b, and the reverse for what they write); anything that cannot be proven is refused. The
// reverse is not automatic: an edit that left the escapes of C3 and A9 side by side would write
// C3 A9, which reads back as "é".

/** The first byte that is not part of a well-formed UTF-8 sequence. */
export interface InvalidByte {
  /** The byte's value, 0x80–0xFF. */
  byte: number;
  /** Its offset in the bytes. */
  offset: number;
  /** Its index in the decoded text (UTF-16 code units, the unit of YAML offsets). */
  index: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters (code points), the invalid byte counting as one. */
  column: number;
}

export interface DecodedText {
  text: string;
  /** Absent when the bytes are well-formed UTF-8 (the text is then what `'utf8'` decoding gives). */
  firstInvalid?: InvalidByte;
}

const ESCAPE_BASE = 0xdc00;
const ESCAPE_MIN = ESCAPE_BASE + 0x80;
const ESCAPE_MAX = ESCAPE_BASE + 0xff;

// ignoreBOM: a leading U+FEFF stays in the text (and so in the file), as with Buffer's 'utf8'.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const loose = new TextDecoder('utf-8', { ignoreBOM: true });

/** The length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), or 0 when there is none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + j];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const [lo, hi] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const [lo, hi] = b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Decodes UTF-8, mapping each byte outside a well-formed sequence to U+DC80–U+DCFF. */
export function decodeLossless(bytes: Uint8Array): DecodedText {
  try {
    return { text: strict.decode(bytes) };
  } catch {
    // Not UTF-8: the slow path below, byte by byte.
  }
  const parts: string[] = [];
  let runStart = 0;
  let firstInvalidOffset: number | undefined;
  let firstInvalidIndex = 0;
  let length = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    const run = loose.decode(bytes.subarray(runStart, i));
    parts.push(run, String.fromCharCode(ESCAPE_BASE + bytes[i]!));
    length += run.length;
    if (firstInvalidOffset === undefined) {
      firstInvalidOffset = i;
      firstInvalidIndex = length;
    }
    length += 1;
    i += 1;
    runStart = i;
  }
  parts.push(loose.decode(bytes.subarray(runStart)));
  const text = parts.join('');
  if (firstInvalidOffset === undefined) return { text };
  return {
    text,
    firstInvalid: { byte: bytes[firstInvalidOffset]!, offset: firstInvalidOffset, index: firstInvalidIndex, ...positionOf(text, firstInvalidIndex) },
  };
}

/**
 * The bytes of `text`: escapes back to the bytes they stand for, the rest as UTF-8. Undefined
 * when the text holds a lone surrogate that is not an escape: no byte sequence means it.
 */
export function encodeLossless(text: string): Uint8Array | undefined {
  const chunks: Uint8Array[] = [];
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      return undefined;
    }
    if (c < ESCAPE_MIN || c > ESCAPE_MAX) return undefined;
    chunks.push(Buffer.from(text.slice(runStart, i), 'utf8'), Uint8Array.of(c - ESCAPE_BASE));
    runStart = i + 1;
  }
  if (chunks.length === 0) return Buffer.from(text, 'utf8');
  chunks.push(Buffer.from(text.slice(runStart), 'utf8'));
  return Buffer.concat(chunks);
}

/** True when writing `text` with {@link encodeLossless} gives `bytes`, and reading those gives `text`. */
export function roundTrips(bytes: Uint8Array, text: string): boolean {
  const encoded = encodeLossless(text);
  return encoded !== undefined && Buffer.compare(encoded, bytes) === 0 && decodeLossless(bytes).text === text;
}

/** Line and column (1-based, columns in code points) of a UTF-16 index in `text`. */
export function positionOf(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  // A surrogate pair is one character; an escape (a lone surrogate) is one too.
  let column = 1;
  for (let i = lineStart; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    column += 1;
  }
  return { line, column };
}

/** `0xE9`: how messages name a byte. */
export function hexByte(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}
