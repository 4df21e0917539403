/**
 * Go's `strconv.ParseFloat(s, 64)`: returns the number, or undefined where Go
 * returns an error (a syntax error, or a value out of float64 range).
 *
 * Accepted forms: optional sign; `inf`/`infinity` (any case, signed) and `nan`
 * (any case, unsigned); decimal `digits[.digits][e[sign]digits]` with either side
 * of the dot optional; hexadecimal `0x` mantissa with a mandatory `p` exponent;
 * `_` only between digits (or right after the `0x` prefix).
 */
export function goParseFloat(text: string): number | undefined {
  const special = parseSpecial(text);
  if (special !== undefined) return special;
  const scanned = scanFloat(text);
  if (!scanned || scanned.end !== text.length) return undefined;
  if (scanned.sawUnderscore && !underscoresAreWellPlaced(text)) return undefined;
  const value = scanned.hex ? hexValue(scanned) : decimalValue(text);
  // Go reports overflow as an error (ErrRange); underflow to zero is fine.
  return Number.isFinite(value) ? value : undefined;
}

function parseSpecial(text: string): number | undefined {
  // Go folds only ASCII letters here.
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  let sign = 1;
  let rest = lower;
  if (rest.startsWith('+') || rest.startsWith('-')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
    // Go accepts a sign before infinity but not before nan.
    return rest === 'inf' || rest === 'infinity' ? sign * Infinity : undefined;
  }
  if (rest === 'inf' || rest === 'infinity') return Infinity;
  if (rest === 'nan') return NaN;
  return undefined;
}

interface ScannedFloat {
  end: number;
  hex: boolean;
  negative: boolean;
  sawUnderscore: boolean;
  /** Hex only: mantissa digits without dot or underscores. */
  digits: string;
  /** Hex only: how many of `digits` came after the dot. */
  fractionDigits: number;
  /** Hex only: the binary exponent, clamped like Go's to avoid huge numbers. */
  exponent: number;
}

const EXPONENT_LIMIT = 10000;

function isDecimalDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isHexDigit(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function scanFloat(text: string): ScannedFloat | undefined {
  let i = 0;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  // The prefix only counts when something follows it; `0x` alone is a decimal 0
  // followed by junk.
  const hex = text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && i + 2 < text.length;
  if (hex) i += 2;
  const isDigit = hex ? isHexDigit : isDecimalDigit;
  let sawDot = false;
  let sawDigits = false;
  let sawUnderscore = false;
  let digits = '';
  let fractionDigits = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '_') {
      sawUnderscore = true;
    } else if (c === '.') {
      if (sawDot) break;
      sawDot = true;
    } else if (isDigit(c)) {
      sawDigits = true;
      digits += c;
      if (sawDot) fractionDigits++;
    } else {
      break;
    }
  }
  if (!sawDigits) return undefined;
  let exponent = 0;
  const exponentMark = hex ? 'p' : 'e';
  if (text[i]?.toLowerCase() === exponentMark) {
    i++;
    let exponentSign = 1;
    if (text[i] === '+' || text[i] === '-') {
      exponentSign = text[i] === '-' ? -1 : 1;
      i++;
    }
    if (!isDecimalDigit(text[i])) return undefined;
    let magnitude = 0;
    for (; i < text.length && (isDecimalDigit(text[i]) || text[i] === '_'); i++) {
      if (text[i] === '_') {
        sawUnderscore = true;
        continue;
      }
      if (magnitude < EXPONENT_LIMIT) magnitude = magnitude * 10 + Number(text[i]);
    }
    exponent = exponentSign * magnitude;
  } else if (hex) {
    return undefined;
  }
  return { end: i, hex, negative, sawUnderscore, digits, fractionDigits, exponent };
}

/**
 * Go's rule for `_`: each one must sit between two digits, or between the base
 * prefix and a digit. The exponent letter and the dot count as non-digits.
 */
function underscoresAreWellPlaced(text: string): boolean {
  let rest = text;
  if (rest.startsWith('+') || rest.startsWith('-')) rest = rest.slice(1);
  let previous: 'start' | 'digit' | 'underscore' | 'other' = 'start';
  let i = 0;
  let hex = false;
  if (rest.length >= 2 && rest[0] === '0' && /[bBoOxX]/.test(rest[1]!)) {
    i = 2;
    previous = 'digit';
    hex = rest[1] === 'x' || rest[1] === 'X';
  }
  for (; i < rest.length; i++) {
    const c = rest[i]!;
    if (isDecimalDigit(c) || (hex && isHexDigit(c))) {
      previous = 'digit';
    } else if (c === '_') {
      if (previous !== 'digit') return false;
      previous = 'underscore';
    } else {
      if (previous === 'underscore') return false;
      previous = 'other';
    }
  }
  return previous !== 'underscore';
}

/** JavaScript's own decimal conversion is correctly rounded, as Go's is. */
function decimalValue(text: string): number {
  return Number(text.replaceAll('_', ''));
}

const MANTISSA_BITS = 53;
const MIN_NORMAL_EXPONENT = -1022;

/** Exact binary value of a hex float, rounded half to even into a float64. */
function hexValue({ digits, fractionDigits, exponent, negative }: ScannedFloat): number {
  const sign = negative ? -1 : 1;
  let mantissa = BigInt(`0x${digits}`);
  if (mantissa === 0n) return sign * 0;
  let binaryExponent = exponent - 4 * fractionDigits;
  const bitLength = mantissa.toString(2).length;
  // Exponent of the leading bit; below the normal range fewer bits survive.
  const leadingExponent = bitLength - 1 + binaryExponent;
  const keptBits =
    leadingExponent >= MIN_NORMAL_EXPONENT ? MANTISSA_BITS : MANTISSA_BITS - (MIN_NORMAL_EXPONENT - leadingExponent);
  // Below half the smallest subnormal nothing survives rounding.
  if (keptBits < 0) return sign * 0;
  const dropped = bitLength - keptBits;
  if (dropped > 0) {
    const droppedBits = BigInt(dropped);
    const remainder = mantissa & ((1n << droppedBits) - 1n);
    const half = 1n << (droppedBits - 1n);
    mantissa >>= droppedBits;
    binaryExponent += dropped;
    if (remainder > half || (remainder === half && (mantissa & 1n) === 1n)) mantissa += 1n;
  }
  return sign * scaleByPowerOfTwo(Number(mantissa), binaryExponent);
}

/** x * 2^e without the intermediate power of two overflowing or underflowing. */
function scaleByPowerOfTwo(x: number, e: number): number {
  let result = x;
  let remaining = e;
  while (remaining > 1000) {
    result *= 2 ** 1000;
    remaining -= 1000;
    if (!Number.isFinite(result)) return result;
  }
  while (remaining < -1000) {
    result *= 2 ** -1000;
    remaining += 1000;
  }
  return result * 2 ** remaining;
}
