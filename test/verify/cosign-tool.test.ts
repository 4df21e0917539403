// A signature the real cosign tool made (see cosign-fixture.ts for where it comes from), read
// back from the real registry under its .sig tag and verified for its own digest; copied onto
// another image it is a replay, and never counts.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';
import { resultsOf } from '../reliability/invariants.js';
import { createRegistryClient, parseRepository } from '../../src/registry/index.js';
import { findSignatures } from '../../src/registry/signatures.js';
import { readPublicKey } from '../../src/verify/spec.js';
import { verifySignatures } from '../../src/verify/verdict.js';
import { COSIGN_IMAGE_DIGEST, COSIGN_PAYLOAD, COSIGN_PAYLOAD_SHA256, COSIGN_PUB, COSIGN_SIGNATURE } from './cosign-fixture.js';
import { generateKey, pushSigTag } from './sign.js';

describe.skipIf(!registryAvailable())('a signature made by cosign itself (real registry)', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-cosign-', proxy: true });
  const layer = { payload: COSIGN_PAYLOAD, signature: COSIGN_SIGNATURE };

  it('the fixture is what cosign logged: the payload hashes to the Rekor entry', () => {
    expect(createHash('sha256').update(COSIGN_PAYLOAD).digest('hex')).toBe(COSIGN_PAYLOAD_SHA256);
  });

  it('read from its .sig tag, it verifies with cosign.pub for its own digest, and with no other key', async () => {
    await pushSigTag(fx.registry, 'cosign/node', COSIGN_IMAGE_DIGEST, [layer]);
    const client = createRegistryClient();
    try {
      const found = await findSignatures(client, parseRepository(`${fx.registry.host}/cosign/node`), COSIGN_IMAGE_DIGEST);
      expect(found.layers).toHaveLength(1);
      const spec = { keys: [readPublicKey('cosign.pub', COSIGN_PUB)], identities: [] };
      expect(await verifySignatures(found, spec, COSIGN_IMAGE_DIGEST)).toMatchObject({ pass: true, by: 'key cosign.pub' });
      const stranger = { keys: [readPublicKey('other.pub', generateKey().publicPem)], identities: [] };
      expect(await verifySignatures(found, stranger, COSIGN_IMAGE_DIGEST)).toMatchObject({ pass: false, reason: 'no signature verifies with the given keys' });
    } finally {
      await client.close();
    }
  });

  it('copied onto another image it is a replay: refused as signed for another digest', async () => {
    const repo = 'cosign/replay';
    const image = await pushImage(fx.registry, repo, { tags: ['1.0.0'] });
    await pushSigTag(fx.registry, repo, image.digest, [layer]);
    const key = `${fx.tempDir}/cosign.pub`;
    await writeFile(key, COSIGN_PUB);
    const config = `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
  policies:
  - name: web
    image: ${fx.proxy.host}/${repo}
    policy: {semver: {range: ">=1.0.0"}}
    verify: {provider: cosign, publicKeys: [${key}]}
`;
    const deployment = `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {config.kubernetes.io/index: '0', config.kubernetes.io/path: 'web.yaml'}
spec:
  containers:
  - name: app
    image: ${fx.proxy.host}/${repo}:0.1.0 # {"$imagepolicy": "flux-system:web"}
`;
    const r = await runFn(resourceList([deployment], config), { env: isolatedEnv(`${fx.tempDir}/run`) });
    expect(r.code).toBe(1);
    const errors = resultsOf(r.stdout).filter((x) => x.severity === 'error').map((e) => e.message).join('\n');
    expect(errors).toContain(`1.0.0 signed for another digest (${COSIGN_IMAGE_DIGEST}`);
  });
});
