/**
 * Bytes that are not UTF-8, run through the built CLI against a real registry. File mode keeps
 * every byte that is not a marked value exactly as it was (a Latin-1 `é` used to come back as
 * U+FFFD, EF BF BD); a file with such bytes and nothing to pin is not rewritten at all. KRM mode
 * refuses stdin that is not UTF-8, naming the item, and prints nothing, so kpt writes nothing.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn, type FnRun } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';
import { decodeFileText, encodeFileText } from '../../src/cli/load-files.js';

const FIELD = 'spec.template.spec.containers[0].image';
const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe.skipIf(!registryAvailable())('bytes that are not UTF-8', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-non-utf8-', proxy: true });
  let image: string;
  let pinned: string;
  let count = 0;

  beforeAll(async () => {
    image = `${fx.proxy.host}/team/app`;
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'] });
    const newest = await pushImage(fx.registry, 'team/app', { tags: ['1.4.0'] });
    pinned = `${image}:1.4.0@${newest.digest}`;
  });

  const policies = (): string => `${fluxRepository('app', image)}---\n${fluxPolicy('app', 'app', 'semver:\n  range: 1.x')}`;
  /** A Deployment whose marked image is `1.0.0`, with `extra` bytes placed where the test says. */
  const deployment = (annotation: Buffer, comment: Buffer = Buffer.from('')): Buffer =>
    bytes(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    note: ',
      [...annotation],
      '\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n',
      [...comment],
      `        image: ${image}:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`,
    );

  const project = (files: Record<string, string | Buffer>): string => {
    const dir = join(fx.tempDir, `p${++count}`);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  };
  const cli = (dir: string, ...args: string[]): Promise<FnRun> => runFn('', { args, cwd: dir, env: isolatedEnv(`${dir}-home`) });
  /** The original bytes with only the marked value replaced: what file mode must write. */
  const pinnedBytes = (original: Buffer): Buffer => {
    const old = Buffer.from(`${image}:1.0.0`);
    const at = original.indexOf(old);
    expect(at).toBeGreaterThan(0);
    return Buffer.concat([original.subarray(0, at), Buffer.from(pinned), original.subarray(at + old.length)]);
  };

  it('a Latin-1 byte in another value: the marked field is pinned, 0xE9 stays, every other byte is identical', async () => {
    // "café" in Latin-1 (E9 alone), beside byte sequences that look like others' stand-ins: a
    // UTF-8-encoded surrogate (ED B3 A9, itself not UTF-8) and a private-use character (U+F7E9,
    // valid UTF-8), neither of which may be confused with the escaped 0xE9.
    const original = deployment(bytes('"caf', [0xe9], ' ', [0xed, 0xb3, 0xa9], ' \uf7e9"'));
    const dir = project({ 'policies.yaml': policies(), 'apps/web.yaml': original });

    const check = await cli(dir, '--check', '.');
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toContain(`apps/web.yaml: ${FIELD}: ${image}:1.0.0 → ${pinned}`);
    expect(readFileSync(join(dir, 'apps/web.yaml')).equals(original)).toBe(true);

    const run = await cli(dir, '.');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`apps/web.yaml: ${FIELD}: ${image}:1.0.0 → ${pinned}\n`);
    const after = readFileSync(join(dir, 'apps/web.yaml'));
    expect(after.equals(pinnedBytes(original)), after.toString('latin1')).toBe(true);
    expect(after.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20]))).toBe(true);
    expect(after.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false);

    const again = await cli(dir, '.');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(readFileSync(join(dir, 'apps/web.yaml')).equals(after)).toBe(true);
  });

  it('Windows-1252 bytes in comments of the manifest, the policy file and --config: pinned, comments intact', async () => {
    // “smart quotes” and an en dash as Windows-1252 writes them: 93, 94, 96.
    const comment = bytes('        # ', [0x93], 'pinned by CI', [0x94], ' ', [0x96], ' do not edit\n');
    const original = deployment(Buffer.from('plain'), comment);
    const policyFile = bytes('# ', [0x93], 'team', [0x94], ' policies\n', policies());
    const config = bytes('# r', [0xe9], 'glages\napiVersion: fn.apply-image-policies.dev/v1alpha1\nkind: ApplyImagePolicies\nspec: {}\n');
    const dir = project({ 'apps/web.yaml': original, 'flux/policies.yaml': policyFile, 'fn-config.yaml': config });
    const configStat = statSync(join(dir, 'fn-config.yaml'));

    const run = await cli(dir, '--config', 'fn-config.yaml', '--policies', 'flux', 'apps');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'apps/web.yaml')).equals(pinnedBytes(original))).toBe(true);
    // Only read: neither is rewritten.
    expect(readFileSync(join(dir, 'flux/policies.yaml')).equals(policyFile)).toBe(true);
    expect(statSync(join(dir, 'fn-config.yaml')).mtimeMs).toBe(configStat.mtimeMs);
  });

  it('a file with bytes that are not UTF-8 and no marker is not rewritten: same bytes, inode and mtime', async () => {
    const legacy = bytes('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy # ', [0xe9, 0xe8], '\ndata:\n  city: "M', [0xfc], 'nchen"\n');
    // A Helm template (not YAML) with a Latin-1 byte: skipped, as any unparseable file without a marker.
    const template = bytes('image: {{ .Values.image }} # caf', [0xe9], '\n{{- if .Values.x }}\n');
    const original = deployment(bytes('"caf', [0xe9], '"'));
    const dir = project({ 'policies.yaml': policies(), 'apps/web.yaml': original, 'apps/legacy.yaml': legacy, 'apps/chart.yaml': template });
    const before = ['apps/legacy.yaml', 'apps/chart.yaml'].map((p) => statSync(join(dir, p)));

    const run = await cli(dir, '.');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'apps/web.yaml')).equals(pinnedBytes(original))).toBe(true);
    expect(readFileSync(join(dir, 'apps/legacy.yaml')).equals(legacy)).toBe(true);
    expect(readFileSync(join(dir, 'apps/chart.yaml')).equals(template)).toBe(true);
    ['apps/legacy.yaml', 'apps/chart.yaml'].forEach((p, i) => {
      const after = statSync(join(dir, p));
      expect({ ino: after.ino, mtimeMs: after.mtimeMs }, p).toEqual({ ino: before[i]!.ino, mtimeMs: before[i]!.mtimeMs });
    });
  });

  it('KRM mode: stdin with a byte that is not UTF-8 → exit 1, nothing on stdout, the item named on stderr', async () => {
    const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: team
  annotations:
    config.kubernetes.io/path: 'apps/web.yaml'
    note: "cafXX"
spec:
  template:
    spec:
      containers:
      - name: app
        image: ${image}:1.0.0 # {"$imagepolicy": "flux-system:app"}
`;
    const text = resourceList([fluxRepository('app', image), fluxPolicy('app', 'app', 'semver:\n  range: 1.x'), web]);
    // Replace the placeholder with the single Latin-1 byte 0xE9.
    const at = Buffer.from(text).indexOf('XX');
    const input = Buffer.concat([Buffer.from(text).subarray(0, at), Buffer.from([0xe9]), Buffer.from(text).subarray(at + 2)]);
    const line = text.slice(0, text.indexOf('XX')).split('\n').length;
    const column = text.slice(text.lastIndexOf('\n', text.indexOf('XX')) + 1, text.indexOf('XX')).length + 1;
    const requests = fx.proxy.requests().length;

    const run = await runFn(input, { env: isolatedEnv(join(fx.tempDir, 'krm-home')) });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `input is not valid UTF-8: byte 0xE9 in items[2] Deployment/team/web (apps/web.yaml) (line ${line}, column ${column})`,
    );
    expect(run.stderr).toMatch(/1 error/);
    // Refused before anything is resolved: the registry is not asked.
    expect(fx.proxy.requests().length).toBe(requests);
  });
});

describe('file mode writes a file only when its bytes are proven to read back as the edited text', () => {
  it('escapes that would join into another character when written are refused, naming the first invalid byte', () => {
    // C3 x A9: read as two escapes around "x". Were an edit to drop the "x", writing C3 A9 would
    // read back as "é": the bytes would not mean the text, so nothing is written.
    const read = decodeFileText('apps/web.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x78, 0xa9, 0x0a]));
    expect(encodeFileText({ path: 'apps/web.yaml', ...read }, read.text)).toEqual(Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x78, 0xa9, 0x0a]));
    expect(() => encodeFileText({ path: 'apps/web.yaml', ...read }, read.text.replace('x', ''))).toThrow(
      'apps/web.yaml:1:4: not valid UTF-8 (byte 0xC3): cannot be written back byte for byte',
    );
  });

  it('text that no bytes stand for (a lone surrogate that is not an escape) is refused with its place', () => {
    expect(() => encodeFileText({ path: 'apps/web.yaml' }, 'a: 1\nb: \ud800\n')).toThrow(
      'apps/web.yaml:2:4: the edited text holds U+D800, which no bytes stand for: cannot be written back byte for byte',
    );
  });
});
