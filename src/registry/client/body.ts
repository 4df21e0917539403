/** Caps on what we read from a registry: a broken or hostile server must not fill memory. */
export const MAX_BYTES = {
  /** One tags/list page (~30 bytes a tag: 16 MiB is half a million tags). */
  tagPage: 16 * 1024 * 1024,
  /** Distribution itself refuses manifests over 4 MiB. */
  manifest: 4 * 1024 * 1024,
  /** An image config blob: real ones are a few KiB, the history of a very long build tens of KiB. */
  config: 4 * 1024 * 1024,
  /** Vendor JSON APIs (GCR's tags/list with its manifest map is the big one). */
  json: 32 * 1024 * 1024,
} as const;

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** Reads a whole body, but stops (and destroys the stream) as soon as it passes `maxBytes`. */
export async function readCapped(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      const error = new BodyTooLargeError(`the response is larger than ${maxBytes} bytes`);
      body.destroy(error);
      throw error;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
