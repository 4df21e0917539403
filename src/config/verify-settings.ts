/**
 * A policy's `verify` setting made ready to check signatures with: key files and trusted root
 * read, the Secret's `*.pub` entries found among the inputs, identity regexes compiled. Every
 * problem is an error naming the setting, thrown before any registry call.
 */
import { readFileSync } from 'node:fs';
import { readIdentity, readPublicKey, type VerifyKey, type VerifySpec } from '../verify/spec.js';
import type { VerifySettings } from './function-config.js';

/** Just enough of an input object to find a Secret by name and namespace. */
export interface SecretSource {
  object: Record<string, unknown>;
}

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

function readSetting(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${setting} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The `*.pub` entries of a Secret among the inputs (`data` decoded, `stringData` winning). */
function secretKeys(sources: readonly SecretSource[], name: string, namespace: string): VerifyKey[] {
  const secret = sources.find(({ object }) => {
    const metadata = record(object.metadata);
    const ns = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
    return object.kind === 'Secret' && object.apiVersion === 'v1' && metadata.name === name && ns === namespace;
  });
  if (!secret) throw new Error(`verify.secretRef: Secret ${namespace}/${name} is not among the inputs`);
  const entries = new Map<string, string>();
  for (const [key, value] of Object.entries(record(secret.object.data))) if (typeof value === 'string') entries.set(key, Buffer.from(value, 'base64').toString('utf8'));
  for (const [key, value] of Object.entries(record(secret.object.stringData))) if (typeof value === 'string') entries.set(key, value);
  const keys = [...entries].filter(([key]) => key.endsWith('.pub'));
  if (keys.length === 0) throw new Error(`verify.secretRef: Secret ${namespace}/${name} has no *.pub entry (cosign.pub)`);
  return keys.map(([key, pem]) => readPublicKey(`Secret ${namespace}/${name} ${key}`, pem));
}

export function verifySpecOf(settings: VerifySettings, namespace: string, sources: readonly SecretSource[]): VerifySpec {
  const keys = (settings.publicKeys ?? []).map((path, index) => readPublicKey(path, readSetting(path, `verify.publicKeys[${index}]`)));
  if (settings.secretRef) keys.push(...secretKeys(sources, settings.secretRef.name, namespace));
  const identities = (settings.matchOIDCIdentity ?? []).map((m, index) => readIdentity(m.issuer, m.subject, `verify.matchOIDCIdentity[${index}]`));
  if (keys.length === 0 && identities.length === 0) throw new Error('verify: needs publicKeys, secretRef or matchOIDCIdentity: what a signature must be made with');
  if (identities.length > 0 && settings.trustedRoot === undefined) {
    throw new Error('verify.matchOIDCIdentity: needs verify.trustedRoot, the Sigstore trusted root JSON (cosign trusted-root create, or the public-good trusted_root.json) keyless certificates are checked against');
  }
  let trustedRoot: VerifySpec['trustedRoot'];
  if (settings.trustedRoot !== undefined) {
    const text = readSetting(settings.trustedRoot, 'verify.trustedRoot');
    try {
      trustedRoot = { name: settings.trustedRoot, json: JSON.parse(text) };
    } catch {
      throw new Error(`verify.trustedRoot ${settings.trustedRoot} is not JSON`);
    }
  }
  return { keys, identities, ...(trustedRoot ? { trustedRoot } : {}) };
}
