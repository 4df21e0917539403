// Parsing of Flux `$imagepolicy` setter comments.
//
// Flux (image-automation-controller, pkg/update) registers `$imagepolicy` as kyaml's
// field-metadata shorthand. kyaml (fieldmeta.FieldMeta.Read / processShortHand) strips every
// leading `#` from the comment, decodes the rest with Go's encoding/json into a
// map[string]string and looks up the `$imagepolicy` key; the value must then name a setter
// that Flux defined, and Flux defines exactly `ns:name`, `ns:name:tag`, `ns:name:name` and
// `ns:name:digest` per policy. Everything here mirrors that decision procedure so that a
// comment is a marker for us exactly when it would be one for Flux.

export type MarkerSuffix = 'tag' | 'name' | 'digest';

export interface MarkerRef {
  namespace: string;
  name: string;
  suffix?: MarkerSuffix;
  /** The comment text the marker was read from, as it appears in the file (with its `#`). */
  raw: string;
}

/** The JSON key Flux registers as the setter shorthand. */
export const MARKER_KEY = '$imagepolicy';

const SUFFIXES: ReadonlySet<string> = new Set<MarkerSuffix>(['tag', 'name', 'digest']);

export interface MarkerInspection {
  ref?: MarkerRef;
  /**
   * Set when the comment evidently tries to be a marker (it mentions `$imagepolicy`) but Flux
   * would not treat it as one, so callers can warn instead of silently skipping it.
   */
  problem?: string;
}

/**
 * Decide whether one comment is a marker, and if not, whether it looks like a failed attempt.
 * `comment` may include the leading `#` characters (they are stripped the way kyaml does).
 */
export function inspectMarkerComment(comment: string): MarkerInspection {
  const mentions = comment.includes(MARKER_KEY);
  const fail = (problem: string): MarkerInspection => (mentions ? { problem } : {});

  // kyaml uses strings.TrimLeft(c, "#"): all leading hashes go, whitespace is left to the JSON
  // decoder, which tolerates it on both sides. So `#{...}`, `# {...}` and `## {...}` all work.
  const body = comment.replace(/^#+/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('the comment is not a single JSON object (text after the closing brace, single quotes or a syntax error)');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail('the comment is not a JSON object');
  }
  // Go decodes into map[string]string: any non-string value (null decodes to "") fails the
  // whole comment, even under keys other than `$imagepolicy`.
  const record = parsed as Record<string, unknown>;
  for (const [key, v] of Object.entries(record)) {
    if (v !== null && typeof v !== 'string') {
      return fail(`the value of ${JSON.stringify(key)} is not a string`);
    }
  }
  const setter = Object.prototype.hasOwnProperty.call(record, MARKER_KEY) ? record[MARKER_KEY] : undefined;
  if (typeof setter !== 'string' || setter === '') {
    return fail(`the ${MARKER_KEY} value is missing or empty`);
  }
  const parts = setter.split(':');
  if (parts.length < 2 || parts.length > 3) {
    return fail(`${JSON.stringify(setter)} is not "namespace:name" with an optional ":tag", ":name" or ":digest"`);
  }
  const [namespace = '', name = '', suffix] = parts;
  if (namespace === '' || name === '') {
    return fail(`${JSON.stringify(setter)} has an empty namespace or name`);
  }
  if (suffix !== undefined && !SUFFIXES.has(suffix)) {
    return fail(`unknown suffix ${JSON.stringify(suffix)} (Flux knows :tag, :name and :digest)`);
  }
  const ref: MarkerRef = { namespace, name, raw: comment };
  if (suffix !== undefined) ref.suffix = suffix as MarkerSuffix;
  return { ref };
}

export function parseMarkerComment(comment: string): MarkerRef | undefined {
  return inspectMarkerComment(comment).ref;
}

/** `ns:name[:suffix]`, the form used inside the marker and in messages. */
export function formatMarkerRef(ref: Pick<MarkerRef, 'namespace' | 'name' | 'suffix'>): string {
  return ref.suffix ? `${ref.namespace}:${ref.name}:${ref.suffix}` : `${ref.namespace}:${ref.name}`;
}
