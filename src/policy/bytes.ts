/**
 * Go compares strings byte by byte over their UTF-8 encoding. UTF-8 byte order is
 * code point order, which differs from JavaScript's UTF-16 code unit order only
 * for characters above U+FFFF against U+E000–U+FFFF, so we walk code points.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates only matter when the two units differ and one of them is one.
    const xIsSurrogate = x >= 0xd800 && x <= 0xdfff;
    const yIsSurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate encodes a code point above U+FFFF, so it outranks any BMP unit.
    if (xIsSurrogate !== yIsSurrogate) return xIsSurrogate ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/**
 * The order in which Flux's reflector stores tags (and so the order policies
 * receive them): descending bytes, stable, duplicates dropped.
 */
export function sortDescendingBytes(tags: readonly string[]): string[] {
  const sorted = [...new Set(tags)];
  sorted.sort((a, b) => compareBytes(b, a));
  return sorted;
}
