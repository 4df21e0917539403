// Signature, attestation, SBOM and referrers-fallback tags live beside the images in one
// repository. Flux's default exclusion (`^.*\.sig$`) lets the last three through; here they are
// never candidates unless the ImageRepository's own exclusionList says otherwise.
import { describe, expect, it } from 'vitest';
import { fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';

describe.skipIf(!registryAvailable())('artifact tags are never candidates by default', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-artifacts-' });
  let runs = 0;

  /** What cosign and the OCI referrers fallback push next to an image, all pointing at `image`. */
  const artifactTags = (image: PushedImage): string[] => {
    const hex = image.digest.slice('sha256:'.length);
    return [`sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`, `sha256-${hex}`];
  };

  const pin = async (repo: string, policy: string, exclusionList?: string) => {
    const host = fx.registry.host;
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: ${host}/${repo}:1 # {"$imagepolicy": "flux-system:app"}
`;
    const input = resourceList([fluxRepository('app', `${host}/${repo}`, exclusionList ?? ''), fluxPolicy('app', 'app', policy), deployment]);
    return runFn(input, { env: isolatedEnv(`${fx.tempDir}/run-${runs++}`) });
  };

  it('alphabetical: the highest tag is an image tag, not an attestation of one', async () => {
    const image = await pushImage(fx.registry, 'team/alpha', { tags: ['1', '2'] });
    await pushImage(fx.registry, 'team/alpha', { tags: artifactTags(image) });
    const run = await pin('team/alpha', 'alphabetical:\n  order: asc');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`image: ${fx.registry.host}/team/alpha:2@${image.digest}`);
  });

  it('numerical: artifact tags do not make the policy fail on a tag that is not a number', async () => {
    const image = await pushImage(fx.registry, 'team/num', { tags: ['1', '10'] });
    await pushImage(fx.registry, 'team/num', { tags: artifactTags(image) });
    const run = await pin('team/num', 'numerical:\n  order: asc');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`image: ${fx.registry.host}/team/num:10@${image.digest}`);
  });

  it('an exclusionList of its own replaces the default, as in Flux: then they are candidates again', async () => {
    const image = await pushImage(fx.registry, 'team/own', { tags: ['1', '2'] });
    const artifacts = artifactTags(image);
    await pushImage(fx.registry, 'team/own', { tags: artifacts });
    const run = await pin('team/own', 'alphabetical:\n  order: asc', "  exclusionList: ['^.*\\.sig$']\n");
    expect(run.code, run.stderr).toBe(0);
    // `sha256-<hex>.sbom` sorts highest once only `.sig` is excluded: the surprise the default prevents.
    expect(run.stdout).toContain(`image: ${fx.registry.host}/team/own:${artifacts[2]}@`);
  });
});
