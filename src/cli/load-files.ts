import { readFile } from 'node:fs/promises';
import { isMap } from 'yaml';
import type { SourceObject } from '../config/policy-definitions.js';
import { decodeLossless, encodeLossless, hexByte, positionOf, roundTrips, type InvalidByte } from '../markers/lossless-text.js';
import { parseYamlStream, type YamlStream } from '../markers/yaml-stream.js';

export interface LoadedFile {
  path: string;
  text: string;
  stream: YamlStream;
  objects: SourceObject[];
  /** The first byte that is not UTF-8, when there is one: the file is then written back byte for byte. */
  firstInvalid?: InvalidByte;
}

export class FileModeError extends Error {
  override name = 'FileModeError';
}

const MARKER_TOKEN = '$imagepolicy';
/** A lone surrogate that is not one of the codec's escapes (U+DC80–U+DCFF): no byte sequence means it. */
const UNENCODABLE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udc7f\udd00-\udfff]/;

/**
 * Reads and parses one manifest. A file that is not valid YAML is an error only when it holds a
 * marker or `strict` is set (a `--policies` file): Helm templates and other `{{ }}` files match
 * `*.yaml` too (pre-commit passes them), and Flux skips what it cannot parse. Such files come back
 * as undefined.
 */
export async function loadFile(path: string, options: { strict?: boolean } = {}): Promise<LoadedFile | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new FileModeError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const { text, firstInvalid } = decodeFileText(path, bytes);
  return parseFile(path, text, options, firstInvalid);
}

/**
 * The text of a file, kept whole when it is not UTF-8: a Latin-1 `é` in a comment is a byte the
 * user did not ask us to change. Every byte outside a well-formed UTF-8 sequence becomes a
 * stand-in character that `encodeLossless` turns back into that byte (see lossless-text.ts), and
 * the round trip is checked here, so that a file whose bytes could not be written back exactly
 * is refused, named at its first bad byte, before anything is resolved or written.
 */
export function decodeFileText(path: string, bytes: Uint8Array): { text: string; firstInvalid?: InvalidByte } {
  const decoded = decodeLossless(bytes);
  if (decoded.firstInvalid && !roundTrips(bytes, decoded.text)) {
    throw new FileModeError(`${notUtf8(path, decoded.firstInvalid)}, and its bytes could not be kept exactly as they are`);
  }
  return decoded;
}

/**
 * The bytes to write for a file's edited text: its own bytes back where they were not UTF-8, and
 * only when they read back as exactly that text. Otherwise (escapes an edit made adjacent would
 * join into another character; a lone surrogate that stands for no byte) nothing is written: the
 * error names the file's first invalid byte, or, in a UTF-8 file, the character itself.
 */
export function encodeFileText(file: Pick<LoadedFile, 'path' | 'firstInvalid'>, text: string): Uint8Array {
  const bytes = encodeLossless(text);
  if (bytes !== undefined && roundTrips(bytes, text)) return bytes;
  if (file.firstInvalid) throw new FileModeError(`${notUtf8(file.path, file.firstInvalid)}: cannot be written back byte for byte`);
  const index = Math.max(0, text.search(UNENCODABLE));
  const { line, column } = positionOf(text, index);
  throw new FileModeError(`${file.path}:${line}:${column}: the edited text holds U+${text.charCodeAt(index).toString(16).toUpperCase()}, which no bytes stand for: cannot be written back byte for byte`);
}

/** `path:line:col: not valid UTF-8 (byte 0xE9)`, pointing at the first byte that is not. */
export function notUtf8(path: string, at: InvalidByte): string {
  return `${path}:${at.line}:${at.column}: not valid UTF-8 (byte ${hexByte(at.byte)})`;
}

/** `loadFile` for text already read (decoded by `decodeFileText` when it came from bytes). */
export function parseFile(path: string, text: string, options: { strict?: boolean } = {}, firstInvalid?: InvalidByte): LoadedFile | undefined {
  const stream = parseYamlStream(text);
  if (stream.errors.length > 0) {
    if (!options.strict && !text.includes(MARKER_TOKEN)) return undefined;
    const e = stream.errors[0]!;
    throw new FileModeError(`${path}:${e.line}:${e.col}: not valid YAML: ${e.message}`);
  }
  const objects: SourceObject[] = [];
  stream.documents.forEach((document, index) => {
    // A document that is not an object (a bare scalar, a list) is left alone byte for byte.
    if (isMap(document.contents)) {
      objects.push({ object: document.toJSON() as Record<string, unknown>, origin: { file: { path, index } } });
    }
  });
  return { path, text, stream, objects, ...(firstInvalid ? { firstInvalid } : {}) };
}

export async function loadFiles(paths: readonly string[]): Promise<LoadedFile[]> {
  const loaded = await Promise.all(paths.map((path) => loadFile(path)));
  return loaded.filter((file): file is LoadedFile => file !== undefined);
}
