/**
 * stdin, stdout and stderr through their file descriptors. When kpt, kustomize or a hook connects
 * them with pipes, Node's `process.stdin`/`stdout`/`stderr` are `net.Socket`s, and touching one
 * loads node:net with some twenty stream modules: about a tenth of a one-marker run that a cache
 * answers. A run that reads its input once and writes a few strings needs none of it.
 *
 * A parent may hand over a descriptor in non-blocking mode; fs then fails with EAGAIN instead of
 * waiting. On that or any other failure (a closed descriptor, a reader gone) the descriptor's Node
 * stream takes over from that byte on, and so behaves as it always did; every later write goes
 * through it too, so the bytes keep their order.
 */
import { fstatSync, readSync, writeSync } from 'node:fs';

type OutputFd = 1 | 2;

const streamOf = (fd: OutputFd): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/** Output descriptors whose Node stream has taken over. */
const handedOver = new Set<OutputFd>();

/** All of stdin, as bytes: the caller refuses input that is not UTF-8 rather than decoding it lossily. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let buffer = Buffer.allocUnsafe(64 * 1024);
  let filled = 0;
  for (;;) {
    if (filled === buffer.length) {
      chunks.push(buffer);
      // Doubling keeps the number of reads logarithmic in the input's size.
      buffer = Buffer.allocUnsafe(buffer.length * 2);
      filled = 0;
    }
    let read: number;
    try {
      read = readSync(0, buffer, filled, buffer.length - filled, null);
    } catch {
      chunks.push(buffer.subarray(0, filled));
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    if (read === 0) break;
    filled += read;
  }
  chunks.push(buffer.subarray(0, filled));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function write(fd: OutputFd, text: string): void {
  if (handedOver.has(fd)) {
    streamOf(fd).write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written, bytes.length - written);
    } catch {
      handedOver.add(fd);
      streamOf(fd).write(bytes.subarray(written));
      return;
    }
  }
}

export const writeStdout = (text: string): void => write(1, text);
export const writeStderr = (text: string): void => write(2, text);

/**
 * Whether stderr is a terminal. A terminal is a character device; so is /dev/null, which only the
 * Node stream (loading node:tty) tells apart. On a terminal every later line goes through that
 * stream as well, so a live status line and the lines after it keep their order on any platform.
 */
export function stderrIsTerminal(): boolean {
  try {
    if (!fstatSync(2).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  if (process.stderr.isTTY !== true) return false;
  handedOver.add(2);
  return true;
}

/*
 * Other modules (the registry's warnings, file mode) still write through `process.stdout` and
 * `process.stderr`, getters that create the stream on first use and keep no public sign of it.
 * Wrapping the getters records which streams exist, so the exit waits for those and only those.
 */
const created = new Set<OutputFd>();
for (const fd of [1, 2] as const) {
  const name = fd === 1 ? 'stdout' : 'stderr';
  const original = Object.getOwnPropertyDescriptor(process, name);
  const get = original?.get;
  if (original?.configurable !== true || get === undefined) {
    // Cannot tell: wait for the stream as if it were in use.
    created.add(fd);
    continue;
  }
  Object.defineProperty(process, name, {
    ...original,
    get() {
      created.add(fd);
      return get.call(process);
    },
  });
}

/**
 * Calls `done` once every byte written to a Node stream of stdout or stderr, here or elsewhere in
 * the run, has been taken by the operating system; at once when no such stream was created.
 */
export function afterFlush(done: () => void): void {
  const open = [...created];
  let pending = open.length;
  if (pending === 0) {
    done();
    return;
  }
  for (const fd of open) {
    streamOf(fd).write('', () => {
      if (--pending === 0) done();
    });
  }
}
