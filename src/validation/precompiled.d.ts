/**
 * The shape of precompiled.js, which scripts/gen-validators.mjs writes on `npm run build` (ajv's
 * standalone code) beside tsc's output under node_modules/.cache, and so has no TypeScript source.
 * The bundle (scripts/bundle.mjs) and vitest (vitest.config.ts) take it from there; `tsc` needs
 * only this declaration.
 */
import type { ErrorObject } from 'ajv';

export interface PrecompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Each validator under the JSON text (`JSON.stringify`) of the schema it was generated from. */
export declare const precompiled: ReadonlyMap<string, PrecompiledValidator>;
