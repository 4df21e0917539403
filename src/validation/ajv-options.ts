/**
 * The options the validators are generated with (scripts/gen-validators.mjs, on `npm run build`)
 * and the drift test compiles with: the messages in schema-messages.ts are written for them.
 * verbose: the oneOf message reads the branch schemas from each error. allErrors: a config with
 * three mistakes gets three messages.
 */
export const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: false, verbose: true } as const;
