import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chainKeychains, dockerConfigKeychain, dockerConfigPath, KeychainError, normalizeAuthKey } from '../../src/registry/keychain.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dirs: string[] = [];
async function configWith(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aip-keychain-'));
  dirs.push(dir);
  await writeFile(join(dir, 'config.json'), content);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('normalizeAuthKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['docker.io', 'index.docker.io'],
    ['https://registry-1.docker.io', 'index.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['https://GHCR.io/v2/', 'ghcr.io'],
    ['http://127.0.0.1:5000/v1/', '127.0.0.1:5000'],
    ['localhost:5000', 'localhost:5000'],
  ])('%s → %s', (key, host) => {
    expect(normalizeAuthKey(key)).toBe(host);
  });
});

describe('dockerConfigKeychain', () => {
  it('reads $DOCKER_CONFIG/config.json with every credential shape', async () => {
    const dir = await configWith(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass:with:colons') },
          'ghcr.io': { username: 'gh', password: 'ghp_x' },
          'https://quay.io': { auth: b64('<token>:'), identitytoken: 'refresh' },
          'registry.example:5000': { registrytoken: 'bearer-value' },
          'empty.example': {},
        },
      }),
    );
    const k = dockerConfigKeychain({ env: { DOCKER_CONFIG: dir } });
    // Each credential says where it came from, so --explain can name the file and never the secret.
    const source = `docker config ${dir}/config.json`;
    expect(await k.resolve('index.docker.io')).toEqual({ username: 'hubuser', password: 'hub:pass:with:colons', source });
    expect(await k.resolve('ghcr.io')).toEqual({ username: 'gh', password: 'ghp_x', source });
    expect(await k.resolve('quay.io')).toEqual({ username: '<token>', password: '', identityToken: 'refresh', source });
    expect(await k.resolve('registry.example:5000')).toEqual({ registryToken: 'bearer-value', source });
    expect(await k.resolve('registry.example')).toBeUndefined();
    expect(await k.resolve('empty.example')).toBeUndefined();
    expect(await k.resolve('other.example')).toBeUndefined();
  });

  it('prefers the bare-host key over URL spellings of the same host', async () => {
    const dir = await configWith(
      JSON.stringify({ auths: { 'https://ghcr.io/v2/': { username: 'url', password: 'p' }, 'ghcr.io': { username: 'bare', password: 'p' } } }),
    );
    expect((await dockerConfigKeychain({ env: { DOCKER_CONFIG: dir } }).resolve('ghcr.io'))?.username).toBe('bare');
  });

  it('defaults to ~/.docker/config.json', () => {
    expect(dockerConfigPath({ HOME: '/home/u' })).toBe('/home/u/.docker/config.json');
    expect(dockerConfigPath({ HOME: '/home/u', DOCKER_CONFIG: '/etc/dc' })).toBe('/etc/dc/config.json');
  });

  it('a missing file means anonymous', async () => {
    const k = dockerConfigKeychain({ env: { DOCKER_CONFIG: join(tmpdir(), 'aip-does-not-exist') } });
    expect(await k.resolve('ghcr.io')).toBeUndefined();
  });

  it('malformed files fail loudly without echoing their content', async () => {
    const dir = await configWith('{"auths": {"ghcr.io": {"auth": "c2VjcmV0"}}, oops');
    const err = await dockerConfigKeychain({ env: { DOCKER_CONFIG: dir } }).resolve('ghcr.io').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeychainError);
    expect((err as Error).message).toBe(`${join(dir, 'config.json')} is not valid JSON`);

    const bad = await configWith(JSON.stringify({ auths: { 'ghcr.io': { auth: b64('no-colon-secret') } } }));
    const err2 = (await dockerConfigKeychain({ env: { DOCKER_CONFIG: bad } }).resolve('ghcr.io').catch((e: unknown) => e)) as Error;
    expect(err2.message).toContain('auths["ghcr.io"].auth is not base64 of "user:password"');
    expect(err2.message).not.toContain('no-colon-secret');
    expect(err2.message).not.toContain(b64('no-colon-secret'));
  });

  it('chainKeychains takes the first hit', async () => {
    const a = { resolve: async (r: string) => (r === 'a.example' ? { username: 'a', password: '1' } : undefined) };
    const b = { resolve: async () => ({ username: 'b', password: '2' }) };
    const chain = chainKeychains(a, b);
    expect((await chain.resolve('a.example'))?.username).toBe('a');
    expect((await chain.resolve('z.example'))?.username).toBe('b');
  });
});
