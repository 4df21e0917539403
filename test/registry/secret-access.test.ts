import { describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { collectPolicies, type SourceObject } from '../../src/config/policy-definitions.js';
import { secretKeychain } from '../../src/registry/secret-keychain.js';
import { emptyTransportSettings } from '../../src/setup/registry-settings.js';
import { repositoryAccess } from '../../src/setup/repository-access.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const source = (object: Record<string, unknown>): SourceObject => ({ object, origin: {} });
const repository = (name: string, image: string, spec: object = {}) =>
  source({ apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', metadata: { name, namespace: 'flux-system' }, spec: { image, ...spec } });
const policy = (name: string) =>
  source({ apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImagePolicy', metadata: { name, namespace: 'flux-system' }, spec: { imageRepositoryRef: { name }, policy: { semver: { range: '1.x' } } } });
const secret = (name: string, type: string, data: Record<string, string>) =>
  source({ apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace: 'flux-system' }, data });

function setUp(sources: SourceObject[]) {
  const config = loadFunctionConfig(undefined);
  const { policies } = collectPolicies(sources, config);
  const transport = emptyTransportSettings();
  const access = repositoryAccess(policies.values(), sources, transport);
  return { access, transport, keychain: secretKeychain(access.bindings) };
}

describe('ImageRepository secretRef, certSecretRef and insecure', () => {
  it('binds a dockerconfigjson Secret to its repository only, whatever hosts it lists', async () => {
    const auths = { 'ghcr.io': { auth: b64('bot:pat') }, 'quay.io': { auth: b64('q:x') } };
    const { keychain } = setUp([
      repository('app', 'ghcr.io/team/app', { secretRef: { name: 'pull' } }),
      policy('app'),
      secret('pull', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64(JSON.stringify({ auths })) }),
    ]);
    expect(await keychain.resolve('ghcr.io', 'team/app')).toEqual({ username: 'bot', password: 'pat', source: 'Secret flux-system/pull' });
    expect(await keychain.resolve('ghcr.io', 'team/other')).toBeUndefined();
    expect(await keychain.resolve('quay.io', 'team/app')).toBeUndefined();
  });

  it('a Secret of the wrong type is an error when that repository is reached, naming the Secret', async () => {
    const { keychain } = setUp([
      repository('app', 'ghcr.io/team/app', { secretRef: { name: 'pull' } }),
      policy('app'),
      secret('pull', 'Opaque', { username: b64('bot'), password: b64('pat') }),
    ]);
    await expect(keychain.resolve('ghcr.io', 'team/app')).rejects.toThrow(
      'Secret flux-system/pull has type Opaque; an image pull secret has type kubernetes.io/dockerconfigjson',
    );
  });

  it('a Secret that is not among the inputs: an info notice, and the machine credentials apply', async () => {
    const { access, keychain } = setUp([repository('app', 'ghcr.io/team/app', { secretRef: { name: 'pull' } }), policy('app')]);
    expect(access.notices).toEqual([
      {
        severity: 'info',
        message:
          "ImagePolicy flux-system/app: its ImageRepository names Secret flux-system/pull, which is not among the inputs; using this machine's credentials for ghcr.io",
      },
    ]);
    expect(await keychain.resolve('ghcr.io', 'team/app')).toBeUndefined();
  });

  it('insecure: true marks the registry; certSecretRef adds TLS for its host', () => {
    const { transport } = setUp([
      repository('app', '10.0.0.5:5000/team/app', { insecure: true }),
      policy('app'),
      repository('tls', 'registry.corp.example/team/tls', { certSecretRef: { name: 'tls' } }),
      policy('tls'),
      secret('tls', 'kubernetes.io/tls', { 'ca.crt': b64('CA PEM'), 'tls.crt': b64('CERT PEM'), 'tls.key': b64('KEY PEM') }),
    ]);
    expect(transport.insecure.has('10.0.0.5:5000')).toBe(true);
    expect(transport.tls.get('registry.corp.example')).toEqual({ ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' });
  });
});
