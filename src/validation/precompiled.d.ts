/**
 * The shape of dist/validation/precompiled.js, which scripts/gen-validators.mjs writes on
 * `npm run build` (ajv's standalone code) and so has no TypeScript source. vitest finds it in
 * dist/ (vitest.config.ts); `tsc` needs only this declaration.
 */
import type { ErrorObject } from 'ajv';

export interface PrecompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Each validator under the JSON text (`JSON.stringify`) of the schema it was generated from. */
export declare const precompiled: ReadonlyMap<string, PrecompiledValidator>;
