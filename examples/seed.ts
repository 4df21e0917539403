/**
 * The images every example (and `npm run demo`) resolves against. The examples commit their
 * expected output, so the registry address is fixed and every image is pushed from a fixed seed:
 * the same bytes, hence the same digests, on every machine and every run.
 */
import { pushImage, type PushedImage } from '../test/harness/push.js';
import type { RegistryTarget } from '../test/harness/target.js';

/**
 * Not `localhost:5055`: some clients (kpt's container runtimes, older Docker) treat only literal
 * loopback IPs as plain HTTP by default, and the examples must work with every client.
 */
export const EXAMPLE_REGISTRY_HOST = '127.0.0.1:5055';
export const EXAMPLE_REGISTRY_PORT = 5055;

interface ExampleImage {
  repository: string;
  tag: string;
  kind: 'oci' | 'oci-index' | 'docker';
  /** A rolling tag: pushed from this other tag's seed, so both tags name one image (one digest). */
  sameAs?: string;
}

/**
 * Tags chosen so each policy kind has something to decide: pre-releases, a major bump, build numbers,
 * noise, and (demo/web) git-SHA tags with a `latest` that is one of them, for `aliasOf`.
 */
export const EXAMPLE_IMAGES: readonly ExampleImage[] = [
  ...['6.0.0', '6.1.0', '6.2.3', '6.3.0-rc.1', '7.0.0'].map((tag) => ({ repository: 'demo/podinfo', tag, kind: 'oci-index' as const })),
  ...['main-99-a1b2c3d', 'main-101-3f2a1c9', 'main-102-9e8d7c6', 'feature-x-200-1111111'].map((tag) => ({
    repository: 'demo/worker',
    tag,
    kind: 'oci' as const,
  })),
  ...['1.24.0', '1.25.3', '1.26.0'].map((tag) => ({ repository: 'demo/nginx', tag, kind: 'docker' as const })),
  { repository: 'demo/nginx', tag: 'latest', kind: 'docker', sameAs: '1.26.0' },
  // One build per git SHA; `latest` is a81d0e4's image. e5b7f03 sorts highest but is not latest.
  ...['3f2a9c1', 'a81d0e4', 'e5b7f03'].map((tag) => ({ repository: 'demo/web', tag, kind: 'oci' as const })),
  { repository: 'demo/web', tag: 'latest', kind: 'oci', sameAs: 'a81d0e4' },
];

/** Pushes every example image; pushing again is harmless (same bytes, existing blobs are skipped). */
export async function seedExampleImages(target: RegistryTarget): Promise<Map<string, PushedImage>> {
  const pushed = new Map<string, PushedImage>();
  // One at a time per repository keeps the registry's tag list identical however the pushes interleave.
  for (const image of EXAMPLE_IMAGES) {
    const seed = `apply-image-policies example ${image.repository}:${image.sameAs ?? image.tag}`;
    pushed.set(`${image.repository}:${image.tag}`, await pushImage(target, image.repository, { tags: [image.tag], kind: image.kind, seed }));
  }
  return pushed;
}

/**
 * What CI does on the next commit: push a new build under its SHA tag and move `latest` to it.
 * `npm run demo` calls it to show a second render following `latest`; seeding again moves
 * `latest` back, so the examples' expected output holds.
 */
export const NEXT_WEB_BUILD = 'c4d9e21';

export async function pushNextWebBuild(target: RegistryTarget): Promise<PushedImage> {
  const seed = `apply-image-policies example demo/web:${NEXT_WEB_BUILD}`;
  return pushImage(target, 'demo/web', { tags: [NEXT_WEB_BUILD, 'latest'], kind: 'oci', seed });
}
