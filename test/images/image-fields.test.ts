// Which fields an images rule claims, and what it would write there. Pure functions over parsed
// YAML: no registry is involved until resolveSites (covered in images-krm.test.ts).
import { describe, expect, it } from 'vitest';
import { isMap, type YAMLMap } from 'yaml';
import { loadFunctionConfig, type FunctionConfig } from '../../src/config/function-config.js';
import { collectPolicies } from '../../src/config/policy-definitions.js';
import { parseYamlStream } from '../../src/markers/yaml-stream.js';
import { compileImageRules, imageFieldSites, imageRuleProblems, parseFieldPath, unusedImageRules } from '../../src/resolve/image-fields.js';
import { scanMarkerSites } from '../../src/resolve/writable-sites.js';

function config(spec: Record<string, unknown>): FunctionConfig {
  return loadFunctionConfig({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec });
}

function objectOf(text: string): { node: YAMLMap; object: Record<string, unknown> } {
  const document = parseYamlStream(text).documents[0]!;
  if (!isMap(document.contents)) throw new Error('not a map');
  return { node: document.contents, object: document.toJSON() as Record<string, unknown> };
}

function sitesFor(text: string, spec: Record<string, unknown>) {
  const { rules, problems } = compileImageRules(config(spec));
  expect(problems).toEqual([]);
  const { node, object } = objectOf(text);
  const marked = scanMarkerSites(node, {}).sites;
  return { marked, images: imageFieldSites(node, object, {}, rules, marked), rules };
}

const nginxRule = { images: [{ name: 'nginx', policy: 'flux-system:nginx' }] };

describe('images rules: which fields match', () => {
  it('matches every Docker Hub spelling of a repository and keeps the spelling written in the field', () => {
    const { images } = sitesFor(
      `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: nginx}
  - {name: b, image: "docker.io/library/nginx:1.2"}
  - {name: c, image: index.docker.io/library/nginx@sha256:${'a'.repeat(64)}}
  - {name: d, image: library/nginx:1.25.3}
  - {name: e, image: nginxinc/nginx-unprivileged:1.25}
  - {name: f, image: ghcr.io/library/nginx:1.2}
  - {name: g, image: "\${NGINX_IMAGE}"}
`,
      nginxRule,
    );
    expect(images.map((w) => [w.site.where.fieldPath, w.site.image, w.site.current])).toEqual([
      ['spec.containers[0].image', 'nginx', 'nginx'],
      ['spec.containers[1].image', 'docker.io/library/nginx', 'docker.io/library/nginx:1.2'],
      ['spec.containers[2].image', 'index.docker.io/library/nginx', `index.docker.io/library/nginx@sha256:${'a'.repeat(64)}`],
      ['spec.containers[3].image', 'library/nginx', 'library/nginx:1.25.3'],
    ]);
    expect(images[0]?.site.where.declaredBy).toBe('functionConfig spec.images[0] (name: nginx)');
    expect(images[0]?.site.policy).toEqual({ namespace: 'flux-system', name: 'nginx' });
  });

  it('covers containers, initContainers and ephemeralContainers in every built-in workload', () => {
    const podSpec = (indent: string): string =>
      ['containers', 'initContainers', 'ephemeralContainers']
        .map((list) => `${indent}${list}:\n${indent}- name: x\n${indent}  image: nginx:1\n`)
        .join('');
    const workloads: [string, string, string][] = [
      ['v1', 'Pod', `spec:\n${podSpec('  ')}`],
      ['v1', 'PodTemplate', `template:\n  spec:\n${podSpec('    ')}`],
      ['v1', 'ReplicationController', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['apps/v1', 'Deployment', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['apps/v1', 'StatefulSet', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['apps/v1', 'DaemonSet', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['apps/v1', 'ReplicaSet', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['extensions/v1beta1', 'Deployment', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['batch/v1', 'Job', `spec:\n  template:\n    spec:\n${podSpec('      ')}`],
      ['batch/v1', 'CronJob', `spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${podSpec('          ')}`],
    ];
    for (const [apiVersion, kind, body] of workloads) {
      const { images } = sitesFor(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: w}\n${body}`, nginxRule);
      expect(images.map((w) => w.site.where.fieldPath.replace(/^.*\.(\w+\[0\]\.image)$/, '$1')), `${apiVersion} ${kind}`).toEqual([
        'containers[0].image',
        'initContainers[0].image',
        'ephemeralContainers[0].image',
      ]);
    }
  });

  it('leaves a custom resource that reuses a workload kind name to fieldSpecs', () => {
    const text = `apiVersion: example.com/v1
kind: Deployment
metadata: {name: w}
spec:
  template:
    spec:
      containers:
      - {name: x, image: nginx:1}
`;
    expect(sitesFor(text, nginxRule).images).toEqual([]);
    const withSpec = sitesFor(text, { ...nginxRule, fieldSpecs: [{ apiVersion: 'example.com/v1', kind: 'Deployment', path: 'spec.template.spec.containers[].image' }] });
    expect(withSpec.images.map((w) => w.site.where.fieldPath)).toEqual(['spec.template.spec.containers[0].image']);
  });

  it('follows fieldSpecs into custom resources, filtered by kind and apiVersion, including lists of strings', () => {
    const app = `apiVersion: apps.example.com/v1
kind: App
metadata: {name: a}
spec:
  components:
  - image: nginx:1.0
  - image: redis:7
  - image: docker.io/nginx:1.1
  mirrors: [nginx:1.0, busybox]
  image: nginx
`;
    const spec = {
      ...nginxRule,
      fieldSpecs: [
        { kind: 'App', path: 'spec.components[].image' },
        { apiVersion: 'apps.example.com/v1', path: 'spec.mirrors[]' },
        { kind: 'Other', path: 'spec.image' },
      ],
    };
    expect(sitesFor(app, spec).images.map((w) => w.site.where.fieldPath)).toEqual([
      'spec.components[0].image',
      'spec.components[2].image',
      'spec.mirrors[0]',
    ]);
  });

  it('leaves a field with a marker to the marker, so no field is written twice', () => {
    const { marked, images } = sitesFor(
      `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: nginx:1.0 # {"$imagepolicy": "flux-system:stable"}
  - name: b
    image: nginx:1.0
`,
      nginxRule,
    );
    expect(marked.map((w) => w.site.where.fieldPath)).toEqual(['spec.containers[0].image']);
    expect(images.map((w) => w.site.where.fieldPath)).toEqual(['spec.containers[1].image']);
  });

  it('does not match the same field twice when two fieldSpecs reach it', () => {
    const { images } = sitesFor(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx}\n`, {
      ...nginxRule,
      fieldSpecs: [{ path: 'spec.containers[].image' }],
    });
    expect(images).toHaveLength(1);
  });
});

describe('images rules: configuration problems', () => {
  it('rejects a rule name with a tag, an invalid name, a duplicate repository and a malformed path', () => {
    const { problems } = compileImageRules(
      config({
        images: [
          { name: 'nginx:1.2', policy: 'a:b' },
          { name: 'Team/App', policy: 'a:b' },
          { name: 'docker.io/library/busybox', policy: 'a:b' },
          { name: 'busybox', policy: 'a:c' },
        ],
        fieldSpecs: [{ path: 'spec..image' }],
      }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^functionConfig spec\.images\[0\] \(name: nginx:1\.2\): .*must not include a tag.*write "nginx"/),
      expect.stringMatching(/^functionConfig spec\.images\[1\] \(name: Team\/App\): .*must be lowercase/),
      'functionConfig spec.images[3] (name: busybox): the same repository as functionConfig spec.images[2] (name: docker.io/library/busybox); keep one rule per repository',
      expect.stringMatching(/^functionConfig spec\.fieldSpecs\[0\]\.path: "spec\.\.image" is not a dot path/),
    ]);
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
  });

  it('reports a rule that matched a field but whose policy is missing or tracks another repository', () => {
    const cfg = config({
      images: [
        { name: 'nginx', policy: 'flux-system:nginx' },
        { name: 'ghcr.io/org/app', policy: 'flux-system:other' },
        { name: 'redis', policy: 'flux-system:absent' },
        // Matches nothing in these files (pre-commit may pass only some): not an error.
        { name: 'busybox', policy: 'flux-system:elsewhere' },
      ],
      policies: [
        { name: 'nginx', image: 'docker.io/library/nginx', policy: { semver: { range: '1.x' } } },
        { name: 'other', image: 'ghcr.io/org/other', policy: { semver: { range: '1.x' } } },
      ],
    });
    const { rules } = compileImageRules(cfg);
    const { policies } = collectPolicies([], cfg);
    const { node, object } = objectOf(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: nginx}
  - {name: b, image: ghcr.io/org/app:1}
  - {name: c, image: redis:7}
`);
    const sites = imageFieldSites(node, object, {}, rules);
    expect(imageRuleProblems(rules, policies, sites).map((p) => p.message)).toEqual([
      'functionConfig spec.images[1] (name: ghcr.io/org/app) uses ImagePolicy flux-system/other, which tracks ghcr.io/org/other: its tags and digests belong to another repository',
      expect.stringMatching(/^functionConfig spec\.images\[2\] \(name: redis\) names ImagePolicy flux-system\/absent, which is not defined/),
    ]);
  });

  it('warns about a rule that matched nothing', () => {
    const { images, rules } = sitesFor(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx}\n`, {
      images: [
        { name: 'nginx', policy: 'a:b' },
        { name: 'ngnix', policy: 'a:c' },
      ],
    });
    expect(unusedImageRules(rules, images)).toEqual([{ severity: 'warning', message: 'functionConfig spec.images[1] (name: ngnix) matched no image field' }]);
  });

  it('parses field paths with nested lists', () => {
    expect(parseFieldPath('spec.matrix[][].image')).toEqual([{ key: 'spec' }, { key: 'matrix' }, { each: true }, { each: true }, { key: 'image' }]);
    expect(() => parseFieldPath('spec.[].image')).toThrow(/not a dot path/);
  });
});
