/**
 * When the client may send credentials, and which secrets it must keep out of every message.
 * The auth interceptor asks here; error wording redacts with {@link CredentialRules.redact}.
 */
import { AuthError, redact } from '../errors.js';
import { isLoopbackHost } from '../scheme.js';
import type { Credential, Keychain } from '../types.js';

export interface CredentialRules {
  /** The keychain's credential for an origin (and the repository of a pull scope), or a refusal. */
  credentialsFor(origin: string, scope?: string): Promise<Credential | undefined>;
  /**
   * The password the keychain holds for `registry` (and `repository`), to be sent as a bearer token
   * to `origin`, another host of the same vendor; undefined when there is none. Refused over plain
   * http to a remote host, like any credential.
   */
  passwordFor(registry: string, repository: string | undefined, origin: string): Promise<string | undefined>;
  /** Refuses a token realm that would carry credentials over plain http to a remote host. */
  checkRealm(realm: URL, origin: string): void;
  /** Keychain lookups use the registry's name, not its API host (registry-1.docker.io → index.docker.io). */
  rememberRegistry(apiHost: string, registry: string): void;
  /** Remembers a value (a token the realm issued) that must never appear in output. */
  addSecret(value: string): void;
  redact(message: string): string;
  /** Where the credentials sent for `registry/repository` came from; undefined while none were asked for. */
  sourceFor(registry: string, repository: string): string | undefined;
}

export function credentialRules(keychain: Keychain, markedInsecure: (host: string) => boolean): CredentialRules {
  const registryOfHost = new Map<string, string>();
  const secrets = new Set<string>();
  const sources = new Map<string, string>();
  // Anyone on the path could read them: only the user's own machine or an explicit opt-in.
  const refusePlainHttp = (url: URL): void => {
    if (url.protocol === 'http:' && !isLoopbackHost(url.host) && !markedInsecure(url.host)) {
      throw new AuthError(
        `refusing to send credentials to ${url.host} over plain http; serve it over https, or mark it insecure in the functionConfig spec.registries[] if you accept that risk`,
      );
    }
  };
  return {
    async credentialsFor(origin, scope) {
      const url = new URL(origin);
      const repository = scope === undefined ? undefined : /^repository:(.+):[^:]*$/.exec(scope)?.[1];
      const registry = registryOfHost.get(url.host) ?? url.host;
      const cred = await keychain.resolve(registry, repository);
      if (repository !== undefined) sources.set(`${registry}/${repository}`, cred ? (cred.source ?? 'a keychain') : 'anonymous');
      if (!cred) return undefined;
      for (const s of [cred.password, cred.identityToken, cred.registryToken]) if (s) secrets.add(s);
      refusePlainHttp(url);
      return cred;
    },
    async passwordFor(registry, repository, origin) {
      const password = (await keychain.resolve(registry, repository))?.password;
      if (!password) return undefined;
      secrets.add(password);
      refusePlainHttp(new URL(origin));
      return password;
    },
    checkRealm(realm, origin) {
      const registryHost = new URL(origin).host;
      if (realm.protocol === 'https:' || isLoopbackHost(realm.host) || markedInsecure(registryHost)) return;
      throw new AuthError(`${registryHost} sends us to the token realm ${realm.origin}${realm.pathname} over plain http; refusing (mark ${registryHost} insecure to allow it)`);
    },
    rememberRegistry: (apiHost, registry) => void registryOfHost.set(apiHost, registry),
    addSecret: (value) => void secrets.add(value),
    redact: (message) => redact(message, [...secrets]),
    sourceFor: (registry, repository) => sources.get(`${registry}/${repository}`),
  };
}
