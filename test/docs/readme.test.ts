import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README inlines docs/*.md, which other tests hold to the configs they run verbatim;
// a stale copy would show users a config no test runs.
describe('README', () => {
  it('is in sync with docs/*.md (run `node scripts/build-readme.mjs` after editing docs)', () => {
    const check = spawnSync(process.execPath, ['scripts/build-readme.mjs', '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('starts with the two commands that work on a fresh machine: the demo and the tests', () => {
    const commands = readFileSync('README.md', 'utf8').split('```sh\n')[1]?.split('```')[0]?.trim().split('\n') ?? [];
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^bash scripts\/setup-machine\.sh && npm ci && npm run demo/);
    expect(commands[1]).toMatch(/^bash scripts\/setup-machine\.sh && npm ci && npm test/);
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci).toContain('bash scripts/setup-machine.sh');
    expect(ci).toContain('npm test');
  });

  it('links only to anchors that exist', () => {
    const text = readFileSync('README.md', 'utf8');
    const anchors = new Set(
      text
        .split('\n')
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) =>
          line
            .replace(/^#+ /, '')
            .trim()
            .toLowerCase()
            .replace(/[^\p{L}\p{N} _-]/gu, '')
            .replace(/ /g, '-'),
        ),
    );
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.filter((link) => !anchors.has(link as string))).toEqual([]);
  });
});
