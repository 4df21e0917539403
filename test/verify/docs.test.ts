// docs/signatures.md shows the verify settings as a reader copies them: both examples must load
// (with their key and root files present), and a malformed setting must be refused by name.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { collectPolicies } from '../../src/config/policy-definitions.js';
import { generateKey, keylessSigner } from './sign.js';

const markdown = readFileSync(new URL('../../docs/signatures.md', import.meta.url), 'utf8');
const examples = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(tmpdir(), 'aip-sigdocs-'));
const key = generateKey();
writeFileSync(join(dir, 'cosign.pub'), key.publicPem);
writeFileSync(join(dir, 'release-2027.pub'), generateKey().publicPem);
writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(keylessSigner().trustedRoot));
/** The example with its `keys/` files in a temp directory, as written otherwise. */
const load = (text: string) => loadFunctionConfig(parse(text.replaceAll('keys/', `${dir}/`)));
const secret = { object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cosign-keys', namespace: 'flux-system' }, stringData: { 'cosign.pub': key.publicPem } }, origin: {} };

describe('verify settings', () => {
  it('the key-based example loads: its two key files and the Secret\'s key', () => {
    const { policies, problems } = collectPolicies([secret], load(examples[0]!));
    expect(problems).toEqual([]);
    expect(policies.get('flux-system/web')?.verify?.keys.map((k) => k.name)).toEqual([`${dir}/cosign.pub`, `${dir}/release-2027.pub`, 'Secret flux-system/cosign-keys cosign.pub']);
  });

  it('the keyless example loads at spec level, for every policy', () => {
    const { policies, problems } = collectPolicies([], load(examples[1]!));
    expect(problems).toEqual([]);
    const verify = policies.get('flux-system/web')?.verify;
    expect(verify?.identities[0]?.issuer.test('https://token.actions.githubusercontent.com')).toBe(true);
    expect(verify?.identities[0]?.subject.test('https://github.com/acme/web/.github/workflows/release.yaml@refs/tags/v1.2.0')).toBe(true);
    expect(verify?.identities[0]?.subject.test('https://github.com/evil/web/.github/workflows/release.yaml@refs/tags/v1.2.0')).toBe(false);
    expect(verify?.trustedRoot?.name).toBe(`${dir}/trusted_root.json`);
  });

  it.each([
    [{ provider: 'notary' }, /verify\/provider|verify\.provider/],
    [{ publicKeys: [] }, /publicKeys/],
    [{ matchOIDCIdentity: [{ issuer: 'x' }] }, /subject/],
    [{ secretRef: {} }, /name/],
    [{ keys: ['x'] }, /keys/],
  ])('%j is refused, naming the setting', (verify, named) => {
    expect(() => loadFunctionConfig({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec: { verify } })).toThrow(named);
  });

  it.each([
    [{ provider: 'cosign' }, 'verify: needs publicKeys, secretRef or matchOIDCIdentity'],
    [{ secretRef: { name: 'missing' } }, 'verify.secretRef: Secret flux-system/missing is not among the inputs'],
    [{ matchOIDCIdentity: [{ issuer: '(', subject: '.' }], trustedRoot: `${dir}/trusted_root.json` }, 'verify.matchOIDCIdentity[0]: '],
    [{ publicKeys: [`${dir}/trusted_root.json`] }, 'is not a PEM public key'],
  ])('%j is a problem of the policy, before any registry call', (verify, message) => {
    const config = loadFunctionConfig({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec: { policies: [{ name: 'web', image: 'ghcr.io/acme/web', policy: { alphabetical: {} }, verify }] } });
    const { problems } = collectPolicies([], config);
    expect(problems.map((p) => p.message).join('\n')).toContain(message);
  });
});
