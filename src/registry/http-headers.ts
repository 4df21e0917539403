import type { IncomingHttpHeaders } from 'node:http';

// Pure header helpers, kept apart from the transport so modules that only read
// answers (vendor listings) do not load undici.

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a header that may be repeated (`WWW-Authenticate`, `Link`). */
export function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Next-page URL from `Link` headers (RFC 8288), or undefined. */
export function nextLink(values: string[]): string | undefined {
  for (const value of values) {
    for (const m of value.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
      const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '');
      if (rel && rel[1]!.split(/\s+/).includes('next')) return m[1];
    }
  }
  return undefined;
}
