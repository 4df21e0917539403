import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn } from './run-fn.js';

interface Result {
  severity: string;
  message: string;
  field?: { path: string };
  file?: { path: string };
  resourceRef?: { kind: string; name: string };
}

describe.skipIf(!registryAvailable())('KRM function against a real registry', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-krm-', proxy: { paginate: true } });
  let oci: PushedImage;
  let index: PushedImage;
  let docker: PushedImage;
  let host: string;

  beforeAll(async () => {
    host = fx.proxy.host;
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', '1.1.0', 'not-semver'], kind: 'oci' });
    oci = await pushImage(fx.registry, 'team/app', { tags: ['1.2.0'], kind: 'oci' });
    await pushImage(fx.registry, 'team/app', { tags: ['2.0.0-rc.1'], kind: 'oci' });
    index = await pushImage(fx.registry, 'team/multi', { tags: ['v3.1.0'], kind: 'oci-index' });
    await pushImage(fx.registry, 'team/multi', { tags: ['v3.0.9'], kind: 'oci-index' });
    docker = await pushImage(fx.registry, 'team/legacy', { tags: ['20240101', '20240315'], kind: 'docker' });
    await pushImage(fx.registry, 'team/legacy', { tags: ['20231231'], kind: 'docker' });
  });

  const env = (): NodeJS.ProcessEnv => isolatedEnv(fx.tempDir);
  const policies = (): string[] => [
    fluxRepository('app', `${host}/team/app`),
    fluxPolicy('app', 'app', 'semver:\n  range: ">=1.0.0 <2.0.0"'),
    fluxRepository('multi', `${host}/team/multi`),
    fluxPolicy('multi', 'multi', 'semver:\n  range: 3.x'),
    fluxRepository('legacy', `${host}/team/legacy`),
    fluxPolicy('legacy', 'legacy', 'numerical:\n  order: asc'),
  ];

  const deployment = (body: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  annotations:
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: 'apps/web.yaml'
    internal.config.kubernetes.io/index: '0'
    internal.config.kubernetes.io/path: 'apps/web.yaml'
    internal.config.kubernetes.io/seqindent: 'compact'
    config.k8s.io/id: '1'
spec:
${body}`;

  it('writes each marker form: full, :tag, :name and :digest', async () => {
    const item = deployment(`  template:
    spec:
      containers:
      - name: app
        image: ${host}/team/app:0.9.0 # {"$imagepolicy": "flux-system:app"}
      - name: sidecar
        image: ${host}/team/app # {"$imagepolicy": "flux-system:app:name"}
        env:
        - name: APP_TAG
          value: "0.9.0" # {"$imagepolicy": "flux-system:app:tag"}
        - name: APP_DIGEST
          value: none # {"$imagepolicy": "flux-system:app:digest"}
`);
    const run = await runFn(resourceList([...policies(), item]), { env: env() });
    expect(run.stderr).not.toContain('[error]');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image: ${host}/team/app:1.2.0@${oci.digest} # {"$imagepolicy": "flux-system:app"}`);
    expect(run.stdout).toContain(`image: ${host}/team/app # {"$imagepolicy": "flux-system:app:name"}`);
    expect(run.stdout).toContain(`value: "1.2.0" # {"$imagepolicy": "flux-system:app:tag"}`);
    expect(run.stdout).toContain(`value: ${oci.digest} # {"$imagepolicy": "flux-system:app:digest"}`);
    const results = (parse(run.stdout) as { results: Result[] }).results;
    const infos = results.filter((r) => r.severity === 'info');
    expect(infos.map((r) => r.field?.path).sort()).toEqual(
      [
        'spec.template.spec.containers[0].image',
        'spec.template.spec.containers[1].env[0].value',
        'spec.template.spec.containers[1].env[1].value',
      ].sort(),
    );
    expect(infos[0]?.file?.path).toBe('apps/web.yaml');
    expect(infos[0]?.resourceRef).toMatchObject({ kind: 'Deployment', name: 'web' });
    expect(infos.find((r) => r.field?.path.endsWith('containers[0].image'))?.message).toContain(
      `${host}/team/app:0.9.0 → ${host}/team/app:1.2.0@${oci.digest}`,
    );
  });

  it('pins a multi-arch image to its index digest and a Docker schema2 image to its manifest digest', async () => {
    const item = deployment(`  template:
    spec:
      containers:
      - name: multi
        image: ${host}/team/multi:v3.0.0 # {"$imagepolicy": "flux-system:multi"}
      - name: legacy
        image: ${host}/team/legacy:1 # {"$imagepolicy": "flux-system:legacy"}
`);
    const run = await runFn(resourceList([...policies(), item]), { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image: ${host}/team/multi:v3.1.0@${index.digest}`);
    expect(index.children?.map((c) => c.digest)).not.toContain(index.digest);
    expect(run.stdout).toContain(`image: ${host}/team/legacy:20240315@${docker.digest}`);
  });

  it('lists each repository once and HEADs each selected tag once, however many markers share them', async () => {
    const containers = Array.from(
      { length: 40 },
      (_, i) => `      - name: c${i}
        image: ${host}/team/${i % 2 === 0 ? 'app' : 'multi'}:old # {"$imagepolicy": "flux-system:${i % 2 === 0 ? 'app' : 'multi'}"}
`,
    ).join('');
    fx.proxy.clear();
    const run = await runFn(resourceList([...policies(), deployment(`  template:\n    spec:\n      containers:\n${containers}`)]), {
      env: env(),
    });
    expect(run.code).toBe(0);
    const counted = fx.proxy.requests().filter((r) => r.status !== 401 && r.path !== '/v2/');
    const tagLists = counted.filter((r) => r.path.endsWith('/tags/list'));
    const heads = counted.filter((r) => r.method === 'HEAD');
    expect(tagLists.map((r) => r.path).sort()).toEqual(['/v2/team/app/tags/list', '/v2/team/multi/tags/list']);
    expect(heads.map((r) => r.path).sort()).toEqual(['/v2/team/app/manifests/1.2.0', '/v2/team/multi/manifests/v3.1.0']);
    const items = run.stdout.slice(0, run.stdout.indexOf('\nresults:'));
    expect(items.match(new RegExp(`image: ${host}/team/app:1\\.2\\.0@${oci.digest}`, 'g'))).toHaveLength(20);
  });

  it('accepts inline policies from the functionConfig, JSON input, and produces byte-identical output on a second run', async () => {
    const config = `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata:
  name: pins
spec:
  policies:
  - name: app
    image: ${host}/team/app
    policy:
      semver:
        range: ~1.1
`;
    const item = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: ${host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
`;
    const first = await runFn(resourceList([item], config), { env: env() });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`image: ${host}/team/app:1\\.1\\.0@sha256:[0-9a-f]{64} #`));
    // Results from the first run are part of the ResourceList a pipeline would pass on; strip them to re-run.
    const firstItems = first.stdout.slice(0, first.stdout.indexOf('results:'));
    const second = await runFn(firstItems, { env: env() });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(firstItems);

    const json = JSON.stringify({
      apiVersion: 'config.kubernetes.io/v1',
      kind: 'ResourceList',
      items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } }],
    });
    const fromJson = await runFn(json, { env: env() });
    expect(fromJson.code).toBe(0);
    expect(parse(fromJson.stdout)).toEqual(JSON.parse(json));
  });

  it('keeps every byte that is not a marked value', async () => {
    const original = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# head comment of the first item
- apiVersion: v1 # trailing
  kind: ConfigMap
  metadata:
    name: 'quoted-name'
    annotations:
      config.kubernetes.io/path: "cm.yaml"
      internal.config.kubernetes.io/seqindent: "compact"
      config.k8s.io/id: '7'
  data:
    anchor: &shared "value with 'quotes'"
    alias: *shared
    flow: {a: 1, b: [x, "y"]}
    block: |
      line one
        indented # not a comment
    folded: >-
      folded
      text
    image: ${host}/team/app:0.1.0   #   {"$imagepolicy": "flux-system:app"}
    number: 010
    empty:
# closing comment
`;
    const config = `functionConfig:
  apiVersion: fn.apply-image-policies.dev/v1alpha1
  kind: ApplyImagePolicies
  metadata: {name: pins} # flow metadata
  spec:
    policies:
    - name: app
      image: ${host}/team/app
      policy: {semver: {range: "1.x"}}
`;
    const input = original + config;
    const run = await runFn(input, { env: env() });
    expect(run.code).toBe(0);
    const expected = input.replace(`${host}/team/app:0.1.0`, `${host}/team/app:1.2.0@${oci.digest}`);
    expect(run.stdout.slice(0, run.stdout.indexOf('results:'))).toBe(expected);
  });

  describe('errors: exit 1, a result naming the culprit, fields unchanged', () => {
    const marked = (policy: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: victim
  annotations:
    config.kubernetes.io/path: pod.yaml
spec:
  containers:
  - name: c
    image: ${host}/team/app:0.0.1 # {"$imagepolicy": "${policy}"}
`;
    const expectFailure = async (input: string, culprit: RegExp): Promise<Result[]> => {
      const run = await runFn(input, { env: env() });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`image: ${host}/team/app:0.0.1 #`);
      const results = (parse(run.stdout) as { results: Result[] }).results;
      const errors = results.filter((r) => r.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.map((e) => e.message).join('\n')).toMatch(culprit);
      expect(run.stderr).toMatch(culprit);
      return errors;
    };

    it('unknown policy', async () => {
      const errors = await expectFailure(resourceList([...policies(), marked('flux-system:nope')]), /ImagePolicy flux-system\/nope, which is not defined/);
      expect(errors[0]).toMatchObject({ file: { path: 'pod.yaml' }, field: { path: 'spec.containers[0].image' }, resourceRef: { name: 'victim' } });
    });

    it('a policy that selects nothing', async () => {
      await expectFailure(
        resourceList([fluxRepository('app', `${host}/team/app`), fluxPolicy('app', 'app', 'semver:\n  range: ">=9.0.0"'), marked('flux-system:app')]),
        /ImagePolicy flux-system\/app.*unable to determine latest version from provided list/,
      );
    });

    it('a registry failure (repository does not exist)', async () => {
      await expectFailure(
        resourceList([fluxRepository('app', `${host}/team/missing`), fluxPolicy('app', 'app', 'semver:\n  range: "*"'), marked('flux-system:app')]),
        /ImagePolicy flux-system\/app.*team\/missing/,
      );
    });

    it('an unreachable registry', async () => {
      await expectFailure(
        resourceList([fluxRepository('app', '127.0.0.1:9/team/app'), fluxPolicy('app', 'app', 'semver:\n  range: "*"'), marked('flux-system:app')]),
        /ImagePolicy flux-system\/app.*127\.0\.0\.1:9/,
      );
    });

    it('an invalid semver range, rejected before any registry request', async () => {
      fx.proxy.clear();
      await expectFailure(
        resourceList([fluxRepository('app', `${host}/team/app`), fluxPolicy('app', 'app', 'semver:\n  range: ">=1.0.0 <<2"'), marked('flux-system:app')]),
        /ImagePolicy flux-system\/app/,
      );
      expect(fx.proxy.requests()).toHaveLength(0);
    });

    it('invalid functionConfig', async () => {
      const errors = await expectFailure(
        resourceList(
          [marked('flux-system:app')],
          `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
  policies:
  - name: app
    image: ${host}/team/app
    policy: {semver: {range: "1.x"}}
    colour: blue
`,
        ),
        /spec\.policies\[0\] \(app\): colour: unknown field/,
      );
      expect(errors).toHaveLength(1);
    });
  });

  /** A Pod named after the policy its one marked image follows. */
  const markedPod = (policy: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${policy}}
spec:
  containers:
  - name: c
    image: old # {"$imagepolicy": "flux-system:${policy}"}
`;

  it('lists the pins in the order of the input, whichever registry answers first', async () => {
    // The first marker's repository answers last: its tag list and manifests are held back.
    fx.proxy.setIntercept(async (entry) => {
      if (entry.path.startsWith('/v2/team/app/')) await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    });
    try {
      const run = await runFn(resourceList([...policies(), ...['app', 'multi', 'legacy'].map(markedPod)]), { env: env() });
      expect(run.code, run.stderr).toBe(0);
      const results = (parse(run.stdout) as { results: Result[] }).results.filter((r) => r.resourceRef?.kind === 'Pod');
      expect(results.map((r) => r.resourceRef?.name)).toEqual(['app', 'multi', 'legacy']);
    } finally {
      fx.proxy.setIntercept(undefined);
    }
  });

  it('lists errors in the order of the input too, whichever registry answers first', async () => {
    // Both digests fail; the first marker's fails last.
    fx.proxy.setIntercept(async (entry) => {
      if (!/^\/v2\/team\/(app|multi)\/manifests\//.test(entry.path)) return undefined;
      if (entry.path.startsWith('/v2/team/app/')) await new Promise((resolve) => setTimeout(resolve, 400));
      return { status: 404, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' };
    });
    try {
      const run = await runFn(resourceList([...policies(), ...['app', 'multi'].map(markedPod)]), { env: env() });
      expect(run.code).toBe(1);
      const errors = (parse(run.stdout) as { results: Result[] }).results.filter((r) => r.severity === 'error');
      expect(errors.map((r) => r.resourceRef?.name)).toEqual(['app', 'multi']);
    } finally {
      fx.proxy.setIntercept(undefined);
    }
  });

  it('prints nothing and exits 1 for input that is not a ResourceList, so kpt writes nothing', async () => {
    const notYaml = await runFn('items: [unclosed', { env: env() });
    expect(notYaml.code).toBe(1);
    expect(notYaml.stdout).toBe('');
    expect(notYaml.stderr).toMatch(/not valid YAML/);
    const notList = await runFn('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n', { env: env() });
    expect(notList.code).toBe(1);
    expect(notList.stdout).toBe('');
    expect(notList.stderr).toMatch(/expected kind ResourceList/);
  });
});
