/**
 * Kubernetes Secrets among the input objects, as ImageRepository `secretRef` and `certSecretRef`
 * name them. Values are decoded here and handed to the registry layer; they are never part of a
 * message (messages name the Secret and the key only).
 */
import { asRecord, type SourceObject } from '../config/policy-definitions.js';

export interface SecretRef {
  name: string;
  namespace: string;
}

export interface FoundSecret {
  type: string;
  /** Decoded `data` merged with `stringData` (which wins, as the API server does). */
  values: Map<string, string>;
  description: string;
}

export function findSecret(sources: readonly SourceObject[], ref: SecretRef): FoundSecret | undefined {
  for (const { object } of sources) {
    if (object.kind !== 'Secret' || object.apiVersion !== 'v1') continue;
    const metadata = asRecord(object.metadata);
    const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
    if (metadata.name !== ref.name || namespace !== ref.namespace) continue;
    const values = new Map<string, string>();
    for (const [key, value] of Object.entries(asRecord(object.data))) {
      if (typeof value === 'string') values.set(key, Buffer.from(value, 'base64').toString('utf8'));
    }
    for (const [key, value] of Object.entries(asRecord(object.stringData))) {
      if (typeof value === 'string') values.set(key, value);
    }
    return { type: typeof object.type === 'string' ? object.type : 'Opaque', values, description: `Secret ${ref.namespace}/${ref.name}` };
  }
  return undefined;
}
