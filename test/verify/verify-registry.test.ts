// The verify gate on the real registry: signatures in cosign's .sig tag and Sigstore bundles
// attached as referrers (through the sha256-<hex> fallback tag: distribution 2.8 has no
// referrers API and answers it 404), made with node:crypto keys and a local CA standing in for
// Fulcio. Only a signature that verifies for the candidate's own digest lets it be pinned.
import { sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { resultsOf } from '../reliability/invariants.js';
import { generateKey, keylessSigner, makeBundle, pushBundleReferrers, pushSigTag, signPayload, simpleSigningPayload, statementFor, type TestKey } from './sign.js';

describe.skipIf(!registryAvailable())('verify: signatures before pinning (built CLI, real registry)', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-verify-', proxy: true });
  let runs = 0;
  const alice = generateKey();
  const bob = generateKey();

  const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: 'web.yaml'
spec:
  template:
    spec:
      containers:
      - name: app
        image: ${image} # {"$imagepolicy": "flux-system:web"}
`;

  const keyFile = async (name: string, key: TestKey) => {
    const path = `${fx.tempDir}/${name}`;
    await writeFile(path, key.publicPem);
    return path;
  };

  const run = (repo: string, verify: string, options: { extra?: string[]; env?: NodeJS.ProcessEnv; args?: string[]; shared?: string; policy?: string } = {}) => {
    const config = `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
${options.shared ?? ''}  policies:
  - name: web
    image: ${fx.proxy.host}/${repo}
${options.policy ?? '    policy:\n      semver:\n        range: ">=1.0.0"\n'}${verify ? `    verify:\n${verify.replace(/\n$/, '').split('\n').map((l) => `      ${l}`).join('\n')}\n` : ''}`;
    return runFn(resourceList([deployment(`${fx.proxy.host}/${repo}:0.1.0`), ...(options.extra ?? [])], config), {
      env: options.env ?? isolatedEnv(`${fx.tempDir}/run-${runs++}`),
      ...(options.args ? { args: options.args } : {}),
    });
  };

  const push = (repo: string, tag: string): Promise<PushedImage> => pushImage(fx.registry, repo, { tags: [tag] });
  const pinned = (repo: string, tag: string, image: PushedImage) => `image: ${fx.proxy.host}/${repo}:${tag}@${image.digest} #`;
  const unchanged = (repo: string) => `image: ${fx.proxy.host}/${repo}:0.1.0 #`;
  const errorsOf = (stdout: string) => resultsOf(stdout).filter((x) => x.severity === 'error').map((e) => e.message).join('\n');
  /** The .sig tag cosign writes for `image` in `repo`, signed by `key`. */
  const signTag = (repo: string, image: PushedImage, key: TestKey) => pushSigTag(fx.registry, repo, image.digest, [signPayload(key, simpleSigningPayload(`${fx.registry.host}/${repo}`, image.digest))]);
  const subject = (image: PushedImage) => ({ digest: image.digest, mediaType: image.mediaType, size: image.manifest.length });

  it('cosign tag format: a key-signed best candidate is pinned', async () => {
    const repo = 'sig/tag';
    await push(repo, '1.2.0');
    const latest = await push(repo, '1.3.0');
    await signTag(repo, latest, alice);
    const r = await run(repo, `provider: cosign\npublicKeys: [${await keyFile('alice.pub', alice)}]`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(pinned(repo, '1.3.0', latest));
  });

  it('bundle format: a key-signed bundle found through the referrers fallback tag is pinned', async () => {
    const repo = 'sig/bundle';
    const latest = await push(repo, '1.3.0');
    await pushBundleReferrers(fx.registry, repo, subject(latest), [makeBundle(alice.privateKey, statementFor(`${fx.registry.host}/${repo}`, latest.digest), { hint: 'alice' })]);
    const r = await run(repo, `publicKeys: [${await keyFile('alice.pub', alice)}]`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(pinned(repo, '1.3.0', latest));
  });

  it('an unsigned best candidate gives way to the next that verifies', async () => {
    const repo = 'sig/unsigned';
    const older = await push(repo, '1.2.0');
    await push(repo, '1.3.0');
    await signTag(repo, older, alice);
    const file = `${fx.tempDir}/explain-unsigned.json`;
    const r = await run(repo, `publicKeys: [${await keyFile('alice.pub', alice)}]`, { args: ['--explain-json', file] });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(pinned(repo, '1.2.0', older));
    const marker = (JSON.parse(await readFile(file, 'utf8')) as { markers: Array<Record<string, unknown>> }).markers[0]!;
    expect(marker.stages).toContainEqual({ stage: 'verify', remaining: 1 });
    expect(marker.candidates).toContainEqual({ tag: '1.3.0', verdict: 'gated', gate: 'verify', reason: 'unsigned' });
  });

  it('a tampered signature never counts', async () => {
    const repo = 'sig/tampered';
    const older = await push(repo, '1.2.0');
    const latest = await push(repo, '1.3.0');
    await signTag(repo, older, alice);
    const layer = signPayload(alice, simpleSigningPayload(`${fx.registry.host}/${repo}`, latest.digest));
    const bytes = Buffer.from(layer.signature, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    await pushSigTag(fx.registry, repo, latest.digest, [{ ...layer, signature: bytes.toString('base64') }]);
    const r = await run(repo, `publicKeys: [${await keyFile('alice.pub', alice)}]`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(pinned(repo, '1.2.0', older));
  });

  it('a replayed signature (valid, but of another digest) on the candidate\'s .sig tag never counts', async () => {
    const repo = 'sig/replayed';
    const older = await push(repo, '1.2.0');
    const latest = await push(repo, '1.3.0');
    // The genuine signature of 1.2.0, copied onto 1.3.0's tag.
    const genuine = signPayload(alice, simpleSigningPayload(`${fx.registry.host}/${repo}`, older.digest));
    await pushSigTag(fx.registry, repo, latest.digest, [genuine]);
    const r = await run(repo, `publicKeys: [${await keyFile('alice.pub', alice)}]`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(unchanged(repo));
    expect(errorsOf(r.stdout)).toContain(`no candidate passes the gates: 1.3.0 signed for another digest (${older.digest}`);
    expect(errorsOf(r.stdout)).toMatch(/\(verify; 2 candidates checked; needs a signature by key .*alice\.pub\)/);
  });

  it('a key not given never counts: the error names the keys and the best candidate with its reason', async () => {
    const repo = 'sig/unknown-key';
    const latest = await push(repo, '1.3.0');
    await signTag(repo, latest, bob);
    const r = await run(repo, `publicKeys: [${await keyFile('alice.pub', alice)}]`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(unchanged(repo));
    expect(errorsOf(r.stdout)).toMatch(/no candidate passes the gates: 1\.3\.0 no signature verifies with the given keys \(verify; 1 candidate checked; needs a signature by key .*alice\.pub\)/);
  });

  it('several keys: a signature by any of them passes, in either format', async () => {
    const repo = 'sig/several';
    const older = await push(repo, '1.2.0');
    const latest = await push(repo, '1.3.0');
    await signTag(repo, older, alice);
    await pushBundleReferrers(fx.registry, repo, subject(latest), [makeBundle(bob.privateKey, statementFor(repo, latest.digest), { hint: 'bob' })]);
    const r = await run(repo, `publicKeys:\n- ${await keyFile('alice.pub', alice)}\n- ${await keyFile('bob.pub', bob)}`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(pinned(repo, '1.3.0', latest));
  });

  it('the *.pub entries of a Secret among the inputs are keys (spec-level verify, for every policy)', async () => {
    const repo = 'sig/secret';
    const latest = await push(repo, '1.3.0');
    await signTag(repo, latest, bob);
    const secret = `apiVersion: v1
kind: Secret
metadata:
  name: cosign-keys
  namespace: flux-system
  annotations:
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: 'secret.yaml'
data:
  alice.pub: ${Buffer.from(alice.publicPem).toString('base64')}
  bob.pub: ${Buffer.from(bob.publicPem).toString('base64')}
  readme.txt: ${Buffer.from('not a key').toString('base64')}
`;
    const r = await run(repo, '', { extra: [secret], shared: '  verify:\n    provider: cosign\n    secretRef: {name: cosign-keys}\n' });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(pinned(repo, '1.3.0', latest));
  });

  describe('keyless, with a local CA standing in for Fulcio', () => {
    const ca = keylessSigner();
    const identity = { issuer: 'https://token.actions.githubusercontent.com', subject: 'release@example.com' };
    const rootFile = async () => {
      const path = `${fx.tempDir}/trusted_root.json`;
      await writeFile(path, JSON.stringify(ca.trustedRoot));
      return path;
    };
    const signKeyless = async (repo: string, image: PushedImage, who = identity) => {
      const { certificatePem, privateKey } = ca.issue(who);
      await pushBundleReferrers(fx.registry, repo, subject(image), [makeBundle(privateKey, statementFor(repo, image.digest), { certificatePem })]);
    };
    const verify = async (issuer: string, subject: string) => `matchOIDCIdentity:\n- issuer: '${issuer}'\n  subject: '${subject}'\ntrustedRoot: ${await rootFile()}`;

    it('a certificate from the trusted root for a matching identity passes', async () => {
      const repo = 'sig/keyless';
      const latest = await push(repo, '1.3.0');
      await signKeyless(repo, latest);
      const r = await run(repo, await verify('^https://token\\.actions\\.githubusercontent\\.com$', '^release@example\\.com$'));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.3.0', latest));
    });

    it('an identity that does not match never counts', async () => {
      const repo = 'sig/keyless-stranger';
      const older = await push(repo, '1.2.0');
      const latest = await push(repo, '1.3.0');
      await signKeyless(repo, older);
      await signKeyless(repo, latest, { issuer: identity.issuer, subject: 'intruder@example.com' });
      const r = await run(repo, await verify('^https://token\\.actions\\.githubusercontent\\.com$', '^release@example\\.com$'));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.2.0', older));
    });

    it('alone, a stranger\'s certificate leaves the field and the error names the identity asked for', async () => {
      const repo = 'sig/keyless-none';
      const latest = await push(repo, '1.3.0');
      await signKeyless(repo, latest, { issuer: 'https://accounts.example.com', subject: 'release@example.com' });
      const r = await run(repo, await verify('^https://token\\.actions\\.githubusercontent\\.com$', '^release@example\\.com$'));
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(unchanged(repo));
      expect(errorsOf(r.stdout)).toContain('1.3.0 identity does not match (issuer https://accounts.example.com, subject release@example.com) (verify; 1 candidate checked; needs a signature by identity issuer ~ ^https://token');
    });

    it('cosign tag format: a keyless layer (certificate annotation) for a matching identity passes', async () => {
      const repo = 'sig/keyless-tag';
      const older = await push(repo, '1.2.0');
      const latest = await push(repo, '1.3.0');
      const tagLayer = (image: PushedImage, who: typeof identity) => {
        const { certificatePem, privateKey } = ca.issue(who);
        const payload = simpleSigningPayload(`${fx.registry.host}/${repo}`, image.digest);
        return { payload, signature: sign('sha256', payload, privateKey).toString('base64'), annotations: { 'dev.sigstore.cosign/certificate': certificatePem } };
      };
      await pushSigTag(fx.registry, repo, older.digest, [tagLayer(older, identity)]);
      await pushSigTag(fx.registry, repo, latest.digest, [tagLayer(latest, { ...identity, subject: 'intruder@example.com' })]);
      const r = await run(repo, await verify('^https://token\\.actions\\.githubusercontent\\.com$', '^release@example\\.com$'));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.2.0', older));
    });

    it('a certificate from another CA never counts', async () => {
      const repo = 'sig/keyless-other-ca';
      const latest = await push(repo, '1.3.0');
      const { certificatePem, privateKey } = keylessSigner().issue(identity);
      await pushBundleReferrers(fx.registry, repo, subject(latest), [makeBundle(privateKey, statementFor(repo, latest.digest), { certificatePem })]);
      const r = await run(repo, await verify('.', '.'));
      expect(r.code).toBe(1);
      expect(errorsOf(r.stdout)).toContain('1.3.0 no signature verifies with the given keys');
    });
  });

  it('a verification is kept: the next run, offline, still pins the verified digest', async () => {
    const repo = 'sig/cached';
    const latest = await push(repo, '1.3.0');
    await signTag(repo, latest, alice);
    const env = isolatedEnv(`${fx.tempDir}/run-cached`);
    const verify = `publicKeys: [${await keyFile('alice.pub', alice)}]`;
    const first = await run(repo, verify, { env });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const second = await run(repo, verify, { env, shared: '  cache: {offline: true}\n' });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stdout).toContain(pinned(repo, '1.3.0', latest));
  });

  it('with aliasOf the rolling tag\'s image must be signed', async () => {
    const repo = 'sig/alias';
    const image = await pushImage(fx.registry, repo, { tags: ['latest', 'sha-1234567'] });
    const policy = "    filterTags:\n      pattern: '^sha-[0-9a-f]{7}$'\n    aliasOf:\n      tag: latest\n";
    const verify = `publicKeys: [${await keyFile('alice.pub', alice)}]`;
    const unsigned = await run(repo, verify, { policy });
    expect(unsigned.code).toBe(1);
    expect(errorsOf(unsigned.stdout)).toContain(`latest's image (${image.digest.slice(0, 19)}, tag sha-1234567) unsigned (verify; needs a signature by key`);
    await signTag(repo, image, alice);
    const signed = await run(repo, verify, { policy });
    expect(signed.code, signed.stderr + signed.stdout).toBe(0);
    expect(signed.stdout).toContain(pinned(repo, 'sha-1234567', image));
  });

  it('configuration problems are named before any registry call', async () => {
    const r = await run('sig/config', `publicKeys: [${fx.tempDir}/missing.pub]`);
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toContain(`verify.publicKeys[0] ${fx.tempDir}/missing.pub cannot be read (ENOENT)`);
    const keyless = await run('sig/config', "matchOIDCIdentity:\n- {issuer: '.', subject: '.'}");
    expect(errorsOf(keyless.stdout)).toContain('verify.matchOIDCIdentity: needs verify.trustedRoot');
    const bad = await run('sig/config', 'provider: notary\npublicKeys: [x]');
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toMatch(/verify\/provider|verify.provider/);
  });
});
