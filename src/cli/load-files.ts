import { readFile } from 'node:fs/promises';
import { isMap } from 'yaml';
import type { SourceObject } from '../config/policy-definitions.js';
import { parseYamlStream, type YamlStream } from '../markers/yaml-stream.js';

export interface LoadedFile {
  path: string;
  text: string;
  stream: YamlStream;
  objects: SourceObject[];
}

export class FileModeError extends Error {
  override name = 'FileModeError';
}

const MARKER_TOKEN = '$imagepolicy';

/**
 * Reads and parses one manifest. A file that is not valid YAML is an error only when it holds a
 * marker or `strict` is set (a `--policies` file): Helm templates and other `{{ }}` files match
 * `*.yaml` too (pre-commit passes them), and Flux skips what it cannot parse. Such files come back
 * as undefined.
 */
export async function loadFile(path: string, options: { strict?: boolean } = {}): Promise<LoadedFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FileModeError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseFile(path, text, options);
}

/** `loadFile` for text already read. */
export function parseFile(path: string, text: string, options: { strict?: boolean } = {}): LoadedFile | undefined {
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
  return { path, text, stream, objects };
}

export async function loadFiles(paths: readonly string[]): Promise<LoadedFile[]> {
  const loaded = await Promise.all(paths.map((path) => loadFile(path)));
  return loaded.filter((file): file is LoadedFile => file !== undefined);
}
