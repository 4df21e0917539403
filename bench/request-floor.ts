/**
 * The floor under the 500-marker target (issue 16): the requests a cold run cannot avoid, made by
 * a Node process that does nothing else. For each repository, its tag list (following `Link`
 * pages) and a HEAD of the chosen tag's manifest, over `node:http` with keep-alive and the
 * function's default cap of 16 requests in flight; no parsing of a ResourceList, no policy, no
 * cache, no TLS probe. The tags to HEAD are given: choosing them costs the function well under a
 * millisecond per policy.
 *
 * A cold run of the function starts Node and makes these requests too, so the `skopeo` script's
 * time divided by this one's bounds what the 500-marker row can show on the machine and registry
 * measured, at the function's default concurrency. (More requests in flight did not shorten them
 * here: the registry, on the same two cores, is what they wait for.)
 *
 * stdin: `{"origin": "http://host:port", "pins": [{"repository": "bench/r00", "tag": "1.19.4"}, …]}`.
 * stdout: one `repository tag digest` line per pin, so the bench can check the answers.
 * stderr: `requests N ms`, the span from the first request to the last answer: what even a
 * client that took no time to start would wait.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { MANIFEST_MEDIA_TYPES } from '../src/registry/client/media-types.js';

interface Plan {
  origin: string;
  pins: Array<{ repository: string; tag: string }>;
}

// The function's own Accept list: CNCF distribution 2.8 answers a narrower one with another digest.
const ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Plan;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function send(method: 'GET' | 'HEAD', path: string, headers: Record<string, string> = {}): Promise<{ response: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, plan.origin), { method, agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`${method} ${path}: HTTP ${response.statusCode}`));
        else resolve({ response, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function tagsOf(repository: string): Promise<string[]> {
  const tags: string[] = [];
  for (let next: string | undefined = `/v2/${repository}/tags/list?n=1000`; next; ) {
    const { response, body } = await send('GET', next);
    tags.push(...((JSON.parse(body) as { tags?: string[] }).tags ?? []));
    next = /<([^>]+)>;\s*rel="next"/.exec(String(response.headers.link ?? ''))?.[1];
  }
  return tags;
}

// Each repository's tags are listed once, however many pins it has, as the function lists them.
const pinsByRepository = new Map<string, string[]>();
for (const { repository, tag } of plan.pins) pinsByRepository.set(repository, [...(pinsByRepository.get(repository) ?? []), tag]);

const firstRequest = performance.now();
const lines = (
  await Promise.all(
    [...pinsByRepository].map(async ([repository, tags]) => {
      const listed = new Set(await tagsOf(repository));
      return Promise.all(
        tags.map(async (tag) => {
          if (!listed.has(tag)) throw new Error(`${repository}: no tag ${tag}`);
          const { response } = await send('HEAD', `/v2/${repository}/manifests/${tag}`, { accept: ACCEPT });
          return `${repository} ${tag} ${String(response.headers['docker-content-digest'])}\n`;
        }),
      );
    }),
  )
).flat();
const span = performance.now() - firstRequest;
agent.destroy();
process.stdout.write(lines.join(''));
process.stderr.write(`requests ${span.toFixed(1)} ms\n`);
