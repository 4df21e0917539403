/**
 * A Node built-in loaded on its first use rather than at start. Importing node:crypto, node:net or
 * node:child_process loads a dozen or more of Node's own modules each, which a run that never
 * needs them (one the cache answers whole) would pay for at every start.
 */
import { createRequire } from 'node:module';

export function lazyBuiltin<Module>(id: `node:${string}`): () => Module {
  let loaded: Module | undefined;
  return () => (loaded ??= createRequire(import.meta.url)(id) as Module);
}
