/**
 * A FAKE Amazon ECR API on 127.0.0.1: `DescribeImages` over the AWS JSON 1.1 protocol (a POST to
 * `/` with `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DescribeImages`, SigV4-signed),
 * answering in the shapes of the Amazon ECR API Reference (`DescribeImages`, `ImageDetail`;
 * errors as `{"__type": "...Exception", "message": ...}` with status 400). Real ECR cannot be
 * reached from the test machines; the SDK is pointed here with its `endpoint` option and fake
 * static credentials. Only the adapter's use of the SDK is tested against this.
 *
 * Push times: `imagePushedAt`, epoch seconds with a fraction, per image (digest).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PUSHED_AT, type FakeVendorRepository } from './vendor-apis.js';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.DescribeImages';

export interface FakeEcrRequest {
  target: string | undefined;
  /** Whether a SigV4 Authorization came with it. */
  signed: boolean;
  body: Record<string, unknown>;
}

export interface FakeEcrServer {
  /** `http://127.0.0.1:PORT`: the SDK's `endpoint`. */
  endpoint: string;
  requests(): FakeEcrRequest[];
  /** Answer every call with this ECR error (`AccessDeniedException`), or undefined to serve normally. */
  failWith(type: string | undefined): void;
  stop(): Promise<void>;
}

export async function startFakeEcr(repo: FakeVendorRepository & { account: string }, options: { pageSize?: number } = {}): Promise<FakeEcrServer> {
  const pageSize = options.pageSize ?? 2;
  const log: FakeEcrRequest[] = [];
  let failure: string | undefined;
  const pushed = (tag: string): number => repo.pushedAt?.get(tag) ?? DEFAULT_PUSHED_AT;
  const images = new Map<string, string[]>();
  for (const [tag, digest] of [...repo.tags].sort(([a], [b]) => (a < b ? -1 : 1))) images.set(digest, [...(images.get(digest) ?? []), tag]);
  const detail = (digest: string, tags: string[]) => ({
    registryId: repo.account,
    repositoryName: repo.repository,
    imageDigest: digest,
    imageTags: tags,
    imageSizeInBytes: 1024,
    // Seconds with a fraction, as JSON 1.1 writes timestamps: the image's first push.
    imagePushedAt: Math.min(...tags.map(pushed)) / 1000,
    imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
  });

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake-request' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, type: string, message: string) => send(res, 400, { __type: type, message });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const target = req.headers['x-amz-target'] as string | undefined;
    log.push({ target, signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 '), body });
    if (failure !== undefined) return error(res, failure, 'fake outage');
    if (req.method !== 'POST' || target !== TARGET) return error(res, 'UnknownOperationException', `fake: no operation ${String(target)}`);
    if (body.repositoryName !== repo.repository || (body.registryId !== undefined && body.registryId !== repo.account)) {
      return error(res, 'RepositoryNotFoundException', `The repository with name '${String(body.repositoryName)}' does not exist in the registry with id '${String(body.registryId)}'`);
    }
    const ids = body.imageIds as Array<{ imageDigest?: string; imageTag?: string }> | undefined;
    if (ids) {
      // Asked by id: those images, no pagination (the reference: nextToken is not used with imageIds).
      const found = ids.flatMap((id) => {
        const digest = id.imageDigest ?? repo.tags.get(id.imageTag ?? '');
        const tags = digest === undefined ? undefined : images.get(digest);
        return digest !== undefined && tags ? [detail(digest, tags)] : [];
      });
      if (found.length === 0) return error(res, 'ImageNotFoundException', `The image with imageId {imageDigest:'${ids[0]?.imageDigest}'} does not exist within the repository`);
      return send(res, 200, { imageDetails: found });
    }
    const all = [...images].map(([digest, tags]) => detail(digest, tags));
    const from = Number(body.nextToken ?? '0');
    const size = Math.min(Number(body.maxResults ?? 100), pageSize);
    return send(res, 200, { imageDetails: all.slice(from, from + size), ...(from + size < all.length ? { nextToken: String(from + size) } : {}) });
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => [...log],
    failWith: (type) => {
      failure = type;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
