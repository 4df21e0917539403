// docs/kustomize.md and the example README quote configuration the container tests run; this
// keeps the quotes from drifting away from the files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../container/podman.js';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');

describe('documents quote the tested configuration verbatim', () => {
  it.each([
    ['docs/kustomize.md', 'examples/kustomize-transformer/kustomization.yaml'],
    ['docs/kustomize.md', 'examples/kustomize-transformer/pin-images.yaml'],
    ['docs/kustomize.md', 'test/kpt-container/package/Kptfile'],
    ['docs/kustomize.md', 'test/kpt-container/package/pin-images.yaml'],
    ['examples/kustomize-transformer/README.md', 'examples/kustomize-transformer/kustomization.yaml'],
    ['examples/kustomize-transformer/README.md', 'examples/kustomize-transformer/pin-images.yaml'],
    ['examples/kustomize-transformer/README.md', 'examples/kustomize-transformer/expected-output.yaml'],
  ])('%s quotes %s', (document, file) => {
    expect(read(document)).toContain(read(file));
  });

  it('shows the commands the tests run', () => {
    const docs = read('docs/kustomize.md');
    expect(docs).toContain('kubectl kustomize --enable-alpha-plugins --network examples/kustomize-transformer');
    expect(docs).toContain('kpt fn eval --image localhost/apply-image-policies:dev --network --fn-config pin-images.yaml DIR');
    expect(docs).toContain('kpt fn render --allow-network DIR');
    expect(read('examples/kustomize-transformer/README.md')).toContain(
      'kubectl kustomize --enable-alpha-plugins --network examples/kustomize-transformer',
    );
  });
});
