/**
 * `algorithm:hex` of some bytes: how a fetched manifest or blob is checked against the digest it
 * was asked for or claimed to have. node:crypto loads on the first check, because modules that
 * only read cached facts (the caching client) import the client's helpers too, and crypto's
 * fifteen modules would cost every run the cache answers.
 */
import { lazyBuiltin } from '../lazy-builtin.js';

const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');

export function contentDigest(bytes: Buffer, algorithm: string): string {
  return `${algorithm}:${crypto().createHash(algorithm).update(bytes).digest('hex')}`;
}
