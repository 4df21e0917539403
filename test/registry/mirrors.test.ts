// Mirrors against a real pull-through cache: a second docker-registry in proxy mode in front of
// the upstream one. The upstream's own access log is the witness that the function never called
// it while the mirror was up (the mirror's calls carry distribution's user agent, ours our own).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { pushImage, registryAvailable, startRegistry, type RunningRegistry } from '../harness/registry.js';
import { resultsOf } from '../reliability/invariants.js';

describe.skipIf(!registryAvailable())('mirrors and pull-through caches (real distribution in proxy mode)', () => {
  let upstream: RunningRegistry;
  let mirror: RunningRegistry;
  let plain: RunningRegistry;
  let deadHost: string;
  let digest: string;
  let dir: string;
  let runs = 0;

  beforeAll(async () => {
    upstream = await startRegistry();
    await pushImage(upstream, 'team/app', { tags: ['1.0.0'] });
    digest = (await pushImage(upstream, 'team/app', { tags: ['1.1.0'] })).digest;
    mirror = await startRegistry({ extraConfig: { proxy: { remoteurl: upstream.url } } });
    // A registry that is not a cache and lacks the repository: it answers 404.
    plain = await startRegistry();
    // A port nothing listens on any more: a mirror that is down.
    const gone = await startRegistry();
    deadHost = gone.host;
    await gone.stop();
    dir = mkdtempSync(join(upstream.rootDir, 'runs-'));
  });
  afterAll(async () => {
    await mirror?.stop();
    await plain?.stop();
    await upstream?.stop();
  });

  const pod = () => `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: 'web.yaml'
spec:
  containers:
  - name: app
    image: ${upstream.host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
`;
  const config = (registries: string) => `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
${registries}  policies:
  - name: app
    image: ${upstream.host}/team/app
    policy:
      semver:
        range: ">=1.0.0"
`;
  const mirrorsOf = (...hosts: string[]) => `  registries:\n  - host: ${upstream.host}\n    mirrors: [${hosts.join(', ')}]\n`;
  const run = (registries: string, env: NodeJS.ProcessEnv = {}) =>
    runFn(resourceList([pod()], config(registries)), { env: { ...isolatedEnv(`${dir}/run-${runs++}`), ...env } });
  const ourCallsTo = async (registry: RunningRegistry) => (await registry.settledRequests()).filter((r) => r.userAgent.includes('apply-image-policies'));
  const pinned = () => `image: ${upstream.host}/team/app:1.1.0@${digest} #`;

  it('asks the mirror, never the upstream, and pins under the registry’s name', async () => {
    upstream.clearRequests();
    mirror.clearRequests();
    const r = await run(mirrorsOf(mirror.host));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(pinned());
    // Only the functionConfig names the mirror; no item or result does.
    expect(r.stdout.split('functionConfig:')[0]).not.toContain(mirror.host);
    expect(JSON.stringify(resultsOf(r.stdout))).not.toContain(mirror.host);
    expect(await ourCallsTo(upstream)).toEqual([]);
    // The mirror did fetch from upstream on our behalf: it is a real pull-through cache.
    expect((await upstream.settledRequests()).length).toBeGreaterThan(0);
    expect((await ourCallsTo(mirror)).map((e) => e.path)).toEqual(expect.arrayContaining(['/v2/team/app/tags/list']));
    expect(r.stderr).not.toContain('mirror');
  });

  it('a mirror that is down: the registry answers, and stderr says so once', async () => {
    const r = await run(mirrorsOf(deadHost));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(pinned());
    const lines = r.stderr.split('\n').filter((l) => l.includes(`mirror ${deadHost}`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`asked ${upstream.host} instead`);
  });

  it('a mirror without the repository (404): the next source answers', async () => {
    upstream.clearRequests();
    const r = await run(mirrorsOf(plain.host, mirror.host));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(pinned());
    // The second mirror had it, so the upstream was still not asked by us.
    expect(await ourCallsTo(upstream)).toEqual([]);
  });

  it('containers registries.conf mirrors are read; the functionConfig wins over them', async () => {
    const conf = join(dir, 'registries.conf');
    writeFileSync(conf, `[[registry]]\nlocation = "${upstream.host}"\n\n[[registry.mirror]]\nlocation = "${mirror.host}"\n`);
    upstream.clearRequests();
    const fromConf = await run('', { CONTAINERS_REGISTRIES_CONF: conf });
    expect(fromConf.code, fromConf.stderr).toBe(0);
    expect(fromConf.stdout).toContain(pinned());
    expect(await ourCallsTo(upstream)).toEqual([]);

    writeFileSync(conf, `[[registry]]\nlocation = "${upstream.host}"\n\n[[registry.mirror]]\nlocation = "${deadHost}"\n`);
    const overridden = await run(mirrorsOf(mirror.host), { CONTAINERS_REGISTRIES_CONF: conf });
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stderr).not.toContain(deadHost);
  });

  it('a registries.conf that is not TOML is named with its line, and the run goes on without it', async () => {
    const conf = join(dir, 'broken.conf');
    writeFileSync(conf, '[[registry]]\nlocation = \n');
    const r = await run('', { CONTAINERS_REGISTRIES_CONF: conf });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${conf} is not valid TOML at line 2`);
    expect(resultsOf(r.stdout).filter((x) => x.severity === 'error')).toEqual([]);
  });
});
