/**
 * What the ImageRepositories among the inputs say about reaching their registries:
 * `secretRef` (a dockerconfigjson Secret bound to that repository), `certSecretRef` (`ca.crt`,
 * `tls.crt`, `tls.key` for that registry's host) and `insecure`. A Secret that is not among the
 * inputs is usual (Secrets are rarely committed): the run then uses this machine's credentials
 * and says so.
 */
import type { PolicyDefinition, SourceObject } from '../config/policy-definitions.js';
import { KeychainError, parseAuthConfig, parseRepository, type RegistryNotice, type SecretBinding } from '../registry/index.js';
import { findSecret } from './secrets.js';
import { addTls, type TransportSettings } from './registry-settings.js';

const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
const DOCKER_CFG = 'kubernetes.io/dockercfg';

export interface RepositoryAccessSetup {
  bindings: SecretBinding[];
  notices: RegistryNotice[];
  /** ImageRepository `spec.timeout` by `registry/repository`. */
  timeouts: Map<string, { ms: number; setting: string }>;
}

function pullSecretConfig(secret: NonNullable<ReturnType<typeof findSecret>>): SecretBinding['config'] {
  const [key, legacy] = secret.type === DOCKER_CFG ? ['.dockercfg', true] : ['.dockerconfigjson', false];
  if (secret.type !== DOCKER_CONFIG_JSON && secret.type !== DOCKER_CFG) {
    return new KeychainError(`${secret.description} has type ${secret.type}; an image pull secret has type ${DOCKER_CONFIG_JSON}`);
  }
  const text = secret.values.get(key);
  if (text === undefined) return new KeychainError(`${secret.description} has no ${key} key`);
  try {
    return parseAuthConfig(text, `${secret.description} ${key}`, legacy);
  } catch (error) {
    return error as Error;
  }
}

export function repositoryAccess(
  policies: Iterable<PolicyDefinition>,
  sources: readonly SourceObject[],
  transport: TransportSettings,
): RepositoryAccessSetup {
  const bindings: SecretBinding[] = [];
  const notices: RegistryNotice[] = [];
  const done = new Set<string>();
  const timeouts = new Map<string, { ms: number; setting: string }>();
  for (const policy of policies) {
    const { secretRef, certSecretRef, insecure, timeout } = policy.access;
    if (!secretRef && !certSecretRef && !insecure && !timeout) continue;
    let repo;
    try {
      repo = parseRepository(policy.image);
    } catch {
      continue; // The resolver reports the bad image with the policy that names it.
    }
    const once = `${repo.registry}/${repo.repository} ${JSON.stringify(policy.access)}`;
    if (done.has(once)) continue;
    done.add(once);
    if (timeout) {
      // Two ImageRepositories for one image: the shorter bound holds, as each scan would end at its own.
      const key = `${repo.registry}/${repo.repository}`;
      const known = timeouts.get(key);
      if (!known || timeout.ms < known.ms) timeouts.set(key, timeout);
    }
    if (insecure) {
      transport.insecure.add(repo.registry);
      transport.insecure.add(repo.apiHost);
    }
    if (secretRef) {
      const secret = findSecret(sources, secretRef);
      if (secret) bindings.push({ registry: repo.registry, repository: repo.repository, config: pullSecretConfig(secret), source: secret.description });
      else {
        notices.push({
          severity: 'info',
          message: `${policy.origin.description}: its ImageRepository names Secret ${secretRef.namespace}/${secretRef.name}, which is not among the inputs; using this machine's credentials for ${repo.registry}`,
        });
      }
    }
    if (certSecretRef) {
      const secret = findSecret(sources, certSecretRef);
      if (!secret) {
        notices.push({
          severity: 'info',
          message: `${policy.origin.description}: its ImageRepository names certSecretRef ${certSecretRef.namespace}/${certSecretRef.name}, which is not among the inputs; using the system trust store for ${repo.apiHost}`,
        });
        continue;
      }
      const ca = secret.values.get('ca.crt') ?? secret.values.get('caFile');
      const cert = secret.values.get('tls.crt') ?? secret.values.get('certFile');
      const key = secret.values.get('tls.key') ?? secret.values.get('keyFile');
      if ((cert === undefined) !== (key === undefined)) {
        transport.problems.set(repo.apiHost, `${secret.description}: tls.crt and tls.key go together (a client certificate needs its key)`);
        continue;
      }
      addTls(transport, repo.apiHost, { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
    }
  }
  return { bindings, notices, timeouts };
}
