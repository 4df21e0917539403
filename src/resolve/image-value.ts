/**
 * The three parts a field may hold. Parsing the current value lets
 * `IfNotPresent` keep a digest without asking the registry, and lets us report
 * old → new in the terms users think in.
 */
export interface PinnedImage {
  image: string;
  tag?: string;
  digest?: string;
}

export function splitPinnedImage(value: string): PinnedImage {
  let rest = value.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A colon after the last slash is a tag; one before it belongs to a registry port.
  const colon = rest.lastIndexOf(':');
  const slash = rest.lastIndexOf('/');
  if (colon > slash) {
    return { image: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest ? { digest } : {}) };
  }
  return { image: rest, ...(digest ? { digest } : {}) };
}
