import { describe, expect, it } from 'vitest';
import { canonicalLocation, mirrorsFor, type MirrorRoute } from '../../src/registry/mirrors.js';
import { mirrorsOfConf, parseRegistriesConf } from '../../src/setup/registries-conf.js';
import { parse } from 'smol-toml';

const route = (source: string, target: string, extra: Partial<MirrorRoute> = {}): MirrorRoute => ({ source: canonicalLocation(source), target: canonicalLocation(target), origin: 'test', ...extra });
const hub = { registry: 'index.docker.io', repository: 'library/nginx' };

describe('which mirrors a repository goes to', () => {
  it.each([
    { routes: [route('docker.io', 'mirror.corp:5000')], repo: hub, byDigest: false, want: ['mirror.corp:5000/library/nginx'] },
    { routes: [route('docker.io', 'mirror.corp/hub')], repo: hub, byDigest: false, want: ['mirror.corp/hub/library/nginx'] },
    { routes: [route('ghcr.io', 'mirror.corp')], repo: hub, byDigest: false, want: [] },
    // The most specific source wins, and keeps its order.
    { routes: [route('docker.io', 'a.corp'), route('docker.io/library', 'b.corp/lib'), route('docker.io/library', 'c.corp')], repo: hub, byDigest: false, want: ['b.corp/lib/nginx', 'c.corp/nginx'] },
    { routes: [route('docker.io/librar', 'x.corp')], repo: hub, byDigest: false, want: [] },
    { routes: [route('docker.io', 'd.corp', { digestOnly: true })], repo: hub, byDigest: false, want: [] },
    { routes: [route('docker.io', 'd.corp', { digestOnly: true })], repo: hub, byDigest: true, want: ['d.corp/library/nginx'] },
  ])('$want', ({ routes, repo, byDigest, want }) => {
    expect(mirrorsFor(routes, repo, byDigest).map((m) => `${m.apiHost}/${m.repository}`)).toEqual(want);
  });

  it('Docker Hub is one registry whatever it is called', () => {
    expect(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'DOCKER.IO/library/'].map(canonicalLocation)).toEqual(['index.docker.io', 'index.docker.io', 'index.docker.io', 'index.docker.io/library']);
  });
});

describe('registries.conf (v2)', () => {
  it('reads [[registry]] location/prefix, its [[registry.mirror]] entries and insecure', () => {
    const conf = parse(`
unqualified-search-registries = ["docker.io"]

[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "mirror.corp:5000"
insecure = true
[[registry.mirror]]
location = "backup.corp/hub"

[[registry]]
prefix = "quay.io/team"
location = "quay.io/team"
mirror-by-digest-only = true
[[registry.mirror]]
location = "cache.corp/quay"

[[registry]]
prefix = "*.example.com"
location = "example.com"
[[registry.mirror]]
location = "ignored.corp"

[[registry]]
location = "ghcr.io"
`);
    const { mirrors, insecure } = mirrorsOfConf(conf, '/etc/containers/registries.conf');
    expect(mirrors.map(({ source, target, digestOnly }) => ({ source, target, digestOnly }))).toEqual([
      { source: 'index.docker.io', target: 'mirror.corp:5000', digestOnly: undefined },
      { source: 'index.docker.io', target: 'backup.corp/hub', digestOnly: undefined },
      { source: 'quay.io/team', target: 'cache.corp/quay', digestOnly: true },
    ]);
    expect(insecure).toEqual(['mirror.corp:5000']);
  });

  const CONF = '/etc/containers/registries.conf';
  const mirrorTargets = (text: string) => {
    const read = parseRegistriesConf(text, CONF);
    return { targets: read.mirrors.map((m) => m.target), problem: read.problem };
  };
  it.each([
    ['comments and blank lines only (as distributions ship it)', '# registries.conf\n\n  # indented comment\r\n\t\n', { targets: [], problem: undefined }],
    ['an empty file', '', { targets: [], problem: undefined }],
    ['comments around a mirror', '# head\n[[registry]]\nlocation = "docker.io"  # trailing\n# between\n[[registry.mirror]]\nlocation = "m.corp"\n# tail\n', { targets: ['m.corp'], problem: undefined }],
    ['a mirror after eighty lines of comments', `${'# comment\n'.repeat(80)}[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "late.corp"\n`, { targets: ['late.corp'], problem: undefined }],
    ['one line that is not TOML among comments', '# fine\nthis is not toml\n# fine\n', { targets: [], problem: `${CONF} is not valid TOML at line 2, column 6; its mirrors are not used` }],
  ])('%s', (_name, text, expected) => {
    expect(mirrorTargets(text)).toEqual(expected);
  });
});
