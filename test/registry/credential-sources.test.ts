import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/registry/client.js';
import { CredentialHelperError } from '../../src/registry/credential-helper.js';
import { containersAuthKeychain, containersAuthPaths, defaultKeychain, dockerConfigKeychain } from '../../src/registry/keychain.js';
import { parseRepository } from '../../src/registry/name.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

// A real program speaking docker's credential-helper protocol, found on PATH like the cloud helpers.
const HELPER = `#!/bin/sh
read -r server || true
echo "$server" >> "$HELPER_LOG"
case "$server" in
  127.0.0.1:*) printf '{"ServerURL":"%s","Username":"alice","Secret":"wonder-land-42"}\\n' "$server" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-xyz"}\\n' "$server" ;;
  broken.example) echo "login expired; run the cloud login again" >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

let dir: string;
let env: NodeJS.ProcessEnv;
const log = () => readFile(join(dir, 'helper.log'), 'utf8').then((t) => t.trim().split('\n'), () => []);

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, JSON.stringify(value));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aip-creds-'));
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'docker-credential-fake'), HELPER);
  await chmod(join(dir, 'bin', 'docker-credential-fake'), 0o755);
  env = { HOME: join(dir, 'home'), DOCKER_CONFIG: join(dir, 'docker'), PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HELPER_LOG: join(dir, 'helper.log') };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credential helpers (docker-credential-<name> get)', () => {
  it('credHelpers sends the bare host, credsStore covers the rest, Docker Hub gets its legacy URL and `<token>` means an identity token', async () => {
    await writeJson(join(dir, 'docker', 'config.json'), { credHelpers: { 'ghcr.io': 'fake' }, credsStore: 'fake', auths: { 'quay.io': { auth: b64('q:qpass') } } });
    const k = dockerConfigKeychain({ env });
    expect(await k.resolve('ghcr.io')).toBeUndefined();
    // The source names the helper and the file that chose it, never the secret.
    const store = `credential helper docker-credential-fake (docker config ${join(dir, 'docker', 'config.json')})`;
    expect(await k.resolve('index.docker.io')).toEqual({ identityToken: 'refresh-xyz', source: store });
    expect(await k.resolve('127.0.0.1:5000')).toEqual({ username: 'alice', password: 'wonder-land-42', source: store });
    // An auths entry of its own wins over the catch-all store.
    expect(await k.resolve('quay.io')).toEqual({ username: 'q', password: 'qpass', source: `docker config ${join(dir, 'docker', 'config.json')}` });
    expect((await log()).slice(-3)).toEqual(['ghcr.io', 'https://index.docker.io/v1/', '127.0.0.1:5000']);
  });

  it('a failing helper is an error naming the helper and the registry', async () => {
    await writeJson(join(dir, 'docker', 'config.json'), { credHelpers: { 'broken.example': 'fake', 'gone.example': 'absent' } });
    const k = dockerConfigKeychain({ env });
    const failed = await k.resolve('broken.example').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CredentialHelperError);
    expect((failed as Error).message).toBe('docker-credential-fake get for broken.example exited with 3: login expired; run the cloud login again');
    await expect(k.resolve('gone.example')).rejects.toThrow('docker-credential-absent is not on PATH');
  });

  describe.skipIf(!registryAvailable())('against a real registry with htpasswd', () => {
    const fx = useRegistryFixture({ registry: { htpasswd: { user: 'alice', pass: 'wonder-land-42' } } });
    beforeAll(async () => {
      await pushImage(fx.registry, 'helped/app', { tags: ['1.0.0'] });
    });

    it('pulls with what the helper returns', async () => {
      await writeJson(join(dir, 'docker', 'config.json'), { credHelpers: { [fx.registry.host]: 'fake' } });
      const c = createRegistryClient({ keychain: dockerConfigKeychain({ env }) });
      try {
        expect(await c.listTags(parseRepository(`${fx.registry.host}/helped/app`))).toEqual(['1.0.0']);
      } finally {
        await c.close();
      }
    });
  });
});

describe("containers' auth.json", () => {
  it('looks where podman looks: $REGISTRY_AUTH_FILE alone, else $XDG_RUNTIME_DIR then ~/.config', () => {
    expect(containersAuthPaths({ REGISTRY_AUTH_FILE: '/a.json', XDG_RUNTIME_DIR: '/run/u', HOME: '/h' })).toEqual(['/a.json']);
    expect(containersAuthPaths({ XDG_RUNTIME_DIR: '/run/u', HOME: '/h' })).toEqual(['/run/u/containers/auth.json', '/h/.config/containers/auth.json']);
    expect(containersAuthPaths({ HOME: '/h', XDG_CONFIG_HOME: '/cfg' })).toEqual(['/cfg/containers/auth.json']);
  });

  it('uses the entry of the longest matching repository prefix, then the host', async () => {
    const runDir = join(dir, 'run');
    await writeJson(join(runDir, 'containers', 'auth.json'), {
      auths: {
        'quay.io': { auth: b64('host:h') },
        'quay.io/team': { auth: b64('team:t') },
        'quay.io/team/app': { auth: b64('app:a') },
      },
    });
    await writeJson(join(dir, 'home', '.config', 'containers', 'auth.json'), { auths: { 'ghcr.io': { auth: b64('gh:g') }, 'quay.io': { auth: b64('late:l') } } });
    const k = containersAuthKeychain({ env: { ...env, XDG_RUNTIME_DIR: runDir } });
    expect((await k.resolve('quay.io', 'team/app'))?.username).toBe('app');
    expect((await k.resolve('quay.io', 'team/other'))?.username).toBe('team');
    expect((await k.resolve('quay.io', 'teammate/app'))?.username).toBe('host');
    expect((await k.resolve('ghcr.io', 'x/y'))?.username).toBe('gh');
  });

  it('docker config.json comes before auth.json', async () => {
    await writeJson(join(dir, 'docker', 'config.json'), { auths: { 'ghcr.io': { auth: b64('docker:d') } } });
    const authFile = join(dir, 'auth-file.json');
    await writeJson(authFile, { auths: { 'ghcr.io': { auth: b64('podman:p') }, 'gitlab.example': { auth: b64('gl:x') } } });
    const k = defaultKeychain({ env: { ...env, REGISTRY_AUTH_FILE: authFile } });
    expect((await k.resolve('ghcr.io'))?.username).toBe('docker');
    expect((await k.resolve('gitlab.example'))?.username).toBe('gl');
  });
});
