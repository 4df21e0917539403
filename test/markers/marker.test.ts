import { describe, expect, it } from 'vitest';
import { formatMarkerRef, inspectMarkerComment, parseMarkerComment } from '../../src/markers/marker.js';

// Each row: a comment as it appears in the file, and the ref Flux would resolve it to.
// Source of the rules: kyaml fieldmeta.Read/processShortHand (TrimLeft "#", Go json into
// map[string]string, exact key) and Flux pkg/update setters (setters `ns:name`,
// `ns:name:tag`, `ns:name:name`, `ns:name:digest`).
const accepted: [string, string, { namespace: string; name: string; suffix?: string }][] = [
  ['usual form', '# {"$imagepolicy": "flux-system:app"}', { namespace: 'flux-system', name: 'app' }],
  ['no space after #', '#{"$imagepolicy":"flux-system:app"}', { namespace: 'flux-system', name: 'app' }],
  ['several #', '### {"$imagepolicy": "ns:app"}', { namespace: 'ns', name: 'app' }],
  ['trailing spaces', '# {"$imagepolicy": "ns:app"}   ', { namespace: 'ns', name: 'app' }],
  ['trailing tab and CR', '# {"$imagepolicy": "ns:app"}\t\r', { namespace: 'ns', name: 'app' }],
  ['inner whitespace', '#   {  "$imagepolicy"  :  "ns:app"  }', { namespace: 'ns', name: 'app' }],
  ['tag suffix', '# {"$imagepolicy": "ns:app:tag"}', { namespace: 'ns', name: 'app', suffix: 'tag' }],
  ['name suffix', '# {"$imagepolicy": "ns:app:name"}', { namespace: 'ns', name: 'app', suffix: 'name' }],
  ['digest suffix', '# {"$imagepolicy": "ns:app:digest"}', { namespace: 'ns', name: 'app', suffix: 'digest' }],
  ['extra string keys', '# {"note": "x", "$imagepolicy": "ns:app"}', { namespace: 'ns', name: 'app' }],
  ['extra null value (Go decodes null as "")', '# {"$imagepolicy": "ns:app", "x": null}', { namespace: 'ns', name: 'app' }],
  ['duplicate key, last wins', '# {"$imagepolicy": "a:b", "$imagepolicy": "ns:app"}', { namespace: 'ns', name: 'app' }],
  ['escaped key', '# {"\\u0024imagepolicy": "ns:app"}', { namespace: 'ns', name: 'app' }],
  ['without the # at all', '{"$imagepolicy": "ns:app"}', { namespace: 'ns', name: 'app' }],
];

const rejected: [string, string, boolean][] = [
  // [why, comment, does it mention $imagepolicy (so a problem is reported)]
  ['plain comment', '# just a note', false],
  ['empty comment', '#', false],
  ['text after the closing brace', '# {"$imagepolicy": "ns:app"} # pinned', true],
  ['text before the brace', '# see {"$imagepolicy": "ns:app"}', true],
  ['single quotes (not JSON)', "# {'$imagepolicy': 'ns:app'}", true],
  ['unquoted key (not JSON)', '# {$imagepolicy: "ns:app"}', true],
  ['trailing comma (not JSON)', '# {"$imagepolicy": "ns:app",}', true],
  ['non-string extra value', '# {"$imagepolicy": "ns:app", "n": 1}', true],
  ['non-string marker value', '# {"$imagepolicy": 1}', true],
  ['object value', '# {"$imagepolicy": {"ns": "app"}}', true],
  ['array', '# ["$imagepolicy", "ns:app"]', true],
  ['empty value', '# {"$imagepolicy": ""}', true],
  ['null value', '# {"$imagepolicy": null}', true],
  ['name only', '# {"$imagepolicy": "app"}', true],
  ['empty namespace', '# {"$imagepolicy": ":app"}', true],
  ['empty name', '# {"$imagepolicy": "ns:"}', true],
  ['unknown suffix', '# {"$imagepolicy": "ns:app:version"}', true],
  ['suffix case matters', '# {"$imagepolicy": "ns:app:Tag"}', true],
  ['empty suffix', '# {"$imagepolicy": "ns:app:"}', true],
  ['too many parts', '# {"$imagepolicy": "ns:app:tag:x"}', true],
  ['key case matters', '# {"$ImagePolicy": "ns:app"}', false],
  ['other shorthand', '# {"$openapi": "replicas"}', false],
  ['kyaml long form is not ours', '# {"$ref": "#/definitions/io.k8s.cli.setters.ns:app"}', false],
  ['non-breaking space is not JSON whitespace', '# {"$imagepolicy": "ns:app"}\u00a0', true],
];

describe('parseMarkerComment', () => {
  it.each(accepted)('accepts: %s', (_why, comment, want) => {
    const ref = parseMarkerComment(comment);
    expect(ref).toEqual({ ...want, raw: comment });
  });

  it.each(rejected)('rejects: %s', (_why, comment, mentions) => {
    expect(parseMarkerComment(comment)).toBeUndefined();
    const { ref, problem } = inspectMarkerComment(comment);
    expect(ref).toBeUndefined();
    if (mentions) expect(problem).toMatch(/\S/);
    else expect(problem).toBeUndefined();
  });

  it('keeps namespace and name verbatim (a typo must reach the resolver, not vanish)', () => {
    expect(parseMarkerComment('# {"$imagepolicy": "Flux System:my app"}')).toMatchObject({
      namespace: 'Flux System',
      name: 'my app',
    });
  });
});

describe('formatMarkerRef', () => {
  it.each([
    [{ namespace: 'ns', name: 'app' }, 'ns:app'],
    [{ namespace: 'ns', name: 'app', suffix: 'tag' as const }, 'ns:app:tag'],
    [{ namespace: 'ns', name: 'app', suffix: 'digest' as const }, 'ns:app:digest'],
  ])('%j → %s', (ref, want) => {
    expect(formatMarkerRef(ref)).toBe(want);
    expect(parseMarkerComment(`# {"$imagepolicy": "${want}"}`)).toMatchObject(ref);
  });
});
