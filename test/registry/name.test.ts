import { describe, expect, it } from 'vitest';
import { InvalidReferenceError, parseReference, parseRepository } from '../../src/registry/name.js';

describe('parseRepository', () => {
  it.each([
    // written, registry, apiHost, repository
    ['nginx', 'index.docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['docker.io/nginx', 'index.docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['index.docker.io/nginx', 'index.docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['bitnami/redis', 'index.docker.io', 'registry-1.docker.io', 'bitnami/redis'],
    ['docker.io/library/nginx', 'index.docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['ghcr.io/fluxcd/flux-cli', 'ghcr.io', 'ghcr.io', 'fluxcd/flux-cli'],
    ['ghcr.io/app', 'ghcr.io', 'ghcr.io', 'app'],
    ['GHCR.io/app', 'ghcr.io', 'ghcr.io', 'app'],
    ['localhost/app', 'localhost', 'localhost', 'app'],
    ['localhost:5000/a/b/c', 'localhost:5000', 'localhost:5000', 'a/b/c'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', '127.0.0.1:5000', 'app'],
    ['[::1]:5000/app', '[::1]:5000', '[::1]:5000', 'app'],
    ['registry.localhost/app', 'registry.localhost', 'registry.localhost', 'app'],
    // No dot, colon or localhost: Docker Hub namespace, not a host.
    ['myhost/app', 'index.docker.io', 'registry-1.docker.io', 'myhost/app'],
    ['a/b__c/d-e.f', 'index.docker.io', 'registry-1.docker.io', 'a/b__c/d-e.f'],
    ['europe-docker.pkg.dev/p/r/img', 'europe-docker.pkg.dev', 'europe-docker.pkg.dev', 'p/r/img'],
  ])('%s', (written, registry, apiHost, repository) => {
    expect(parseRepository(written)).toEqual({ written, registry, apiHost, repository });
  });

  it.each([
    ['nginx:1.25', /must not include a tag or digest \(found tag :1\.25\); write "nginx"/],
    ['ghcr.io/a/b@sha256:' + 'a'.repeat(64), /found digest @sha256:a{64}/],
    ['localhost:5000/app:v1', /found tag :v1/],
  ])('rejects a tag or digest in %s', (written, message) => {
    expect(() => parseRepository(written)).toThrow(message);
    expect(() => parseRepository(written)).toThrow(written);
  });
});

describe('parseReference', () => {
  const d = 'sha256:' + '0123456789abcdef'.repeat(4);
  it.each([
    ['nginx:1.25', 'library/nginx', '1.25', undefined],
    ['localhost:5000/app', 'app', undefined, undefined],
    ['localhost:5000/app:5000', 'app', '5000', undefined],
    [`ghcr.io/a/b:v1@${d}`, 'a/b', 'v1', d],
    [`ghcr.io/a/b@${d}`, 'a/b', undefined, d],
    ['a:_private', 'library/a', '_private', undefined],
  ])('%s', (written, repository, tag, digest) => {
    const ref = parseReference(written);
    expect(ref.repository.repository).toBe(repository);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
  });

  it('keeps the name as written, without tag or digest', () => {
    expect(parseReference(`docker.io/nginx:1@${d}`).repository.written).toBe('docker.io/nginx');
  });

  it.each([
    ['', /a repository name must be specified/],
    ['Nginx', /must be lowercase/],
    ['ghcr.io/Org/app', /"Org" is invalid \(repository names must be lowercase\)/],
    ['ghcr.io/a//b', /component "" is invalid/],
    ['ghcr.io/a/-b', /component "-b" is invalid/],
    ['ghcr.io/a/b:', /tag "" is invalid/],
    ['ghcr.io/a/b:.x', /tag ".x" is invalid/],
    ['ghcr.io/a/b:' + 'x'.repeat(129), /tag "x+" is invalid/],
    ['ghcr.io/a/b@sha256:abc', /sha256 digest must be 64 lowercase hex/],
    ['ghcr.io/a/b@latest', /digest "latest" is not algorithm:hex/],
    ['ghcr.io/a/b@x@y', /more than one '@'/],
    ['gh_cr.io/a', /registry "gh_cr.io" is not a valid host name/],
    ['ghcr.io:99999/a', /invalid port/],
    ['[::1/a', /unclosed IPv6 bracket/],
    [' nginx', /leading or trailing whitespace/],
    ['ghcr.io/' + 'a'.repeat(250), /longer than 255/],
  ])('rejects %j', (written, message) => {
    let error: unknown;
    try {
      parseReference(written);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidReferenceError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(JSON.stringify(written));
  });
});
