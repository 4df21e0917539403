import { request } from 'undici';
import type { ProxyLogEntry, ProxyResponse } from '../harness/registry.js';

/**
 * A proxy intercept that answers GETs itself from the registry behind it, after `delayMs` and with
 * extra headers: a slow registry, or one that reports its rate limit, built on the real answer.
 */
export function answerLater(upstream: string, options: { match: RegExp; delayMs?: number; headers?: Record<string, string> }) {
  return async (entry: ProxyLogEntry): Promise<ProxyResponse | undefined> => {
    if (entry.method !== 'GET' || !options.match.test(entry.path)) return undefined;
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const answer = await request(`${upstream}${entry.url}`);
    const contentType = answer.headers['content-type'];
    return {
      status: answer.statusCode,
      headers: { 'content-type': typeof contentType === 'string' ? contentType : 'application/json', ...options.headers },
      body: await answer.body.text(),
    };
  };
}
