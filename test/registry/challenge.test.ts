import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge } from '../../src/registry/transport/challenge.js';
import { parseRetryAfter } from '../../src/registry/transport/retry.js';
import { scopeForRequest } from '../../src/registry/transport/auth.js';
import { nextLink } from '../../src/registry/http-headers.js';

describe('WWW-Authenticate parsing', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
    ],
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:user/image:pull,push' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['basic', [{ scheme: 'basic', params: {} }]],
    [
      'Basic realm="a, b", Bearer realm="https://t/x", error="insufficient_scope"',
      [
        { scheme: 'basic', params: { realm: 'a, b' } },
        { scheme: 'bearer', params: { realm: 'https://t/x', error: 'insufficient_scope' } },
      ],
    ],
    ['Bearer  Realm = "https://t/x" , service=unquoted', [{ scheme: 'bearer', params: { realm: 'https://t/x', service: 'unquoted' } }]],
    ['Bearer realm="with \\"escaped\\" quote"', [{ scheme: 'bearer', params: { realm: 'with "escaped" quote' } }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  it('prefers a Bearer challenge with a realm over Basic, across header lines', () => {
    expect(pickChallenge(['Basic realm="x"', 'Bearer realm="https://t"'])?.scheme).toBe('bearer');
    expect(pickChallenge(['Bearer service="no-realm"', 'Basic realm="x"'])?.scheme).toBe('basic');
    expect(pickChallenge(['Negotiate'])).toBeUndefined();
  });
});

describe('scopeForRequest', () => {
  it.each([
    ['GET', '/v2/library/nginx/tags/list?n=1000', 'repository:library/nginx:pull'],
    ['HEAD', '/v2/a/b/c/manifests/1.0', 'repository:a/b/c:pull'],
    ['PUT', '/v2/a/manifests/x', 'repository:a:pull,push'],
    ['GET', '/v2/', undefined],
    // A repository whose last component is literally "manifests" must not confuse the split.
    ['HEAD', '/v2/x/manifests/manifests/v1', 'repository:x/manifests:pull'],
  ])('%s %s', (method, path, scope) => {
    expect(scopeForRequest(method, path)).toBe(scope);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it.each([
    ['5', 5000],
    [' 0 ', 0],
    ['Mon, 01 Jan 2024 00:00:10 GMT', 10_000],
    ['Sun, 31 Dec 2023 23:00:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('%j', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('Link next', () => {
  it.each([
    [['</v2/a/tags/list?n=2&last=b>; rel="next"'], '/v2/a/tags/list?n=2&last=b'],
    [['<https://r.example/v2/a/tags/list?last=b>; rel=next'], 'https://r.example/v2/a/tags/list?last=b'],
    [['</prev>; rel="prev", </next>; rel="next"'], '/next'],
    [['</prev>; rel="prev"', '</next>; type="x"; rel="next"'], '/next'],
    [['</x>; rel="previous"'], undefined],
    [[], undefined],
  ])('%j', (values, expected) => {
    expect(nextLink(values)).toBe(expected);
  });
});

describe('scopeForRequest, uploads', () => {
  it('names the repository of a blob upload', () => {
    expect(scopeForRequest('PATCH', '/v2/a/b/blobs/uploads/1234-5678?_state=x')).toBe('repository:a/b:pull,push');
    expect(scopeForRequest('GET', '/v2/a/blobs/sha256:abc')).toBe('repository:a:pull');
  });
});
