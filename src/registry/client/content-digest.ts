/**
 * `algorithm:hex` of some bytes: how a fetched manifest or blob is checked against the digest it
 * was asked for or claimed to have. node:crypto loads on the first check, because modules that
 * only read cached facts (the caching client) import the client's helpers too, and crypto's
 * fifteen modules would cost every run the cache answers.
 */
import { createRequire } from 'node:module';

let cryptoModule: typeof import('node:crypto') | undefined;

export function contentDigest(bytes: Buffer, algorithm: string): string {
  cryptoModule ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return `${algorithm}:${cryptoModule.createHash(algorithm).update(bytes).digest('hex')}`;
}
