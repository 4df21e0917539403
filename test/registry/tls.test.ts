import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { collectPolicies, type SourceObject } from '../../src/config/policy-definitions.js';
import { parseRepository } from '../../src/registry/name.js';
import type { RegistryClient } from '../../src/registry/types.js';
import { createRunRegistry } from '../../src/setup/registry.js';
import { isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import {
  generateTestCa,
  issueCertificate,
  pushImage,
  registryAvailable,
  startRegistry,
  startTokenServer,
  type RunningRegistry,
  type RunningTokenServer,
  type TestCa,
} from '../harness/registry.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe.skipIf(!registryAvailable())('TLS with a private CA (openssl), mTLS and certSecretRef', () => {
  let ca: TestCa;
  let client: { cert: string; key: string };
  let mtls: RunningRegistry;
  let plainTls: RunningRegistry;
  let tokenTls: RunningRegistry;
  let realm: RunningTokenServer;
  let dir: string;
  let digest: string;
  const runs: RegistryClient[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aip-tls-'));
    ca = generateTestCa();
    const server = issueCertificate(ca, { hosts: ['127.0.0.1'] });
    client = issueCertificate(ca, { client: true });
    mtls = await startRegistry({ tls: { ...server, ca: ca.cert, clientCa: ca.cert, clientCert: client } });
    plainTls = await startRegistry({ tls: { ...server, ca: ca.cert } });
    digest = (await pushImage(mtls, 'secure/app', { tags: ['1.0.0'] })).digest;
    await pushImage(plainTls, 'secure/app', { tags: ['2.0.0'] });
    // A token server on its own port with a certificate of the same private CA, as a self-hosted
    // registry with its auth service beside it is set up.
    realm = await startTokenServer({ tls: server, users: [{ user: 'ci', pass: 'secret' }], anonymousPull: true });
    tokenTls = await startRegistry({ tls: { ...server, ca: ca.cert }, token: realm.registryAuth, authorize: realm.authorize });
    await pushImage(tokenTls, 'secure/app', { tags: ['3.0.0'] });
    await writeFile(join(dir, 'ca.crt'), ca.cert);
    await writeFile(join(dir, 'client.crt'), client.cert);
    await writeFile(join(dir, 'client.key'), client.key);
  });
  afterAll(async () => {
    await Promise.all(runs.splice(0).map((r) => r.close()));
    await mtls?.stop();
    await plainTls?.stop();
    await tokenTls?.stop();
    await realm?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (registries: object[], sources: SourceObject[] = []) => {
    const config = loadFunctionConfig({
      apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
      kind: 'ApplyImagePolicies',
      spec: { registries, cache: { disabled: true } },
    });
    const r = createRunRegistry(config, sources, collectPolicies(sources, config).policies, { offline: false, env: isolatedEnv(dir), warn: () => {} });
    runs.push(r);
    return r;
  };

  it('spec.registries[] caFile + certFile/keyFile: trusts the private CA and presents the client certificate', async () => {
    const r = run([{ host: mtls.host, caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') }]);
    const repo = parseRepository(`${mtls.host}/secure/app`);
    expect(await r.listTags(repo)).toEqual(['1.0.0']);
    expect(await r.resolveDigest(repo, '1.0.0', { mutable: true })).toBe(digest);
  });

  it('without the client certificate the mTLS registry refuses, and the error says it was TLS', async () => {
    const r = run([{ host: mtls.host, caFile: join(dir, 'ca.crt') }]);
    const error = (await r.listTags(parseRepository(`${mtls.host}/secure/app`)).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`GET https://${mtls.host}/v2/secure/app/tags/list?n=1000: `);
    expect(error.message).toContain('if it requires a client certificate, set certFile and keyFile for it in spec.registries[]');
  });

  it('without the CA the certificate is not trusted: an error, never a fallback to http', async () => {
    const r = run([]);
    const error = (await r.listTags(parseRepository(`${plainTls.host}/secure/app`)).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`GET https://${plainTls.host}/v2/secure/app/tags/list?n=1000`);
    expect(error.message).toMatch(/certificate/i);
  });

  it('a CA for one registry is not trusted for another', async () => {
    const r = run([{ host: mtls.host, caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') }]);
    await expect(r.listTags(parseRepository(`${plainTls.host}/secure/app`))).rejects.toThrow(/certificate/i);
  });

  it('an unreadable caFile fails that registry only, naming the config entry', async () => {
    const r = run([{ host: plainTls.host, caFile: join(dir, 'missing.crt') }]);
    await expect(r.listTags(parseRepository(`${plainTls.host}/secure/app`))).rejects.toThrow(
      `functionConfig spec.registries[0] (${plainTls.host}): caFile ${join(dir, 'missing.crt')} cannot be read (ENOENT)`,
    );
  });

  it('ImageRepository certSecretRef: ca.crt, tls.crt and tls.key from a Secret among the inputs', async () => {
    const sources: SourceObject[] = [
      {
        object: {
          apiVersion: 'image.toolkit.fluxcd.io/v1',
          kind: 'ImageRepository',
          metadata: { name: 'app', namespace: 'flux-system' },
          spec: { image: `${mtls.host}/secure/app`, interval: '5m', certSecretRef: { name: 'registry-tls' } },
        },
        origin: {},
      },
      {
        object: {
          apiVersion: 'image.toolkit.fluxcd.io/v1',
          kind: 'ImagePolicy',
          metadata: { name: 'app', namespace: 'flux-system' },
          spec: { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '1.x' } } },
        },
        origin: {},
      },
      {
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: { name: 'registry-tls', namespace: 'flux-system' },
          data: { 'ca.crt': b64(ca.cert), 'tls.crt': b64(client.cert), 'tls.key': b64(client.key) },
        },
        origin: {},
      },
    ];
    const r = run([], sources);
    expect(await r.listTags(parseRepository(`${mtls.host}/secure/app`))).toEqual(['1.0.0']);
  });

  it("a registry's caFile reaches its token realm on another port, and the token request is made", async () => {
    expect(realm.realm).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/token$/);
    const before = realm.requests().length;
    const r = run([{ host: tokenTls.host, caFile: join(dir, 'ca.crt') }]);
    expect(await r.listTags(parseRepository(`${tokenTls.host}/secure/app`))).toEqual(['3.0.0']);
    expect(realm.requests().length).toBeGreaterThan(before);
  });

  it("a realm's host does not borrow the CA of a registry it does not serve", async () => {
    // The CA is configured for another registry only: the realm (and this registry) stay untrusted.
    const r = run([{ host: plainTls.host, caFile: join(dir, 'ca.crt') }]);
    await expect(r.listTags(parseRepository(`${tokenTls.host}/secure/app`))).rejects.toThrow(/certificate/);
  });

  it('the built CLI trusts NODE_EXTRA_CA_CERTS', async () => {
    const input = resourceList(
      [
        `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: old # {"$imagepolicy": "flux-system:app"}
`,
      ],
      `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata: {name: pins}
spec:
  policies:
  - name: app
    image: ${plainTls.host}/secure/app
    policy: {semver: {range: 2.x}}
`,
    );
    const result = await runFn(input, { env: { ...isolatedEnv(dir), NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') } });
    expect(result.stderr).toContain('1 pinned');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`image: ${plainTls.host}/secure/app:2\\.0\\.0@sha256:[0-9a-f]{64} #`));
  });
});
