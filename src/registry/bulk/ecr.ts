import type { ImageDetail } from '@aws-sdk/client-ecr';
import type { ImageRepository } from '../types.js';
import { epochSecondsTime, type PushTimeSink } from './push-times.js';
import { BulkApiError, BulkUnavailableError, type BulkTagSource } from './types.js';

const API = 'ECR DescribeImages API';

// Private ECR registries, commercial, FIPS and China partitions: the account and region are in the name.
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** The AWS account and region of a private ECR registry host, or undefined for any other host. */
export function ecrRegistryOf(registry: string): { account: string; region: string } | undefined {
  const match = ECR_HOST.exec(registry.toLowerCase());
  return match ? { account: match[1]!, region: match[2]! } : undefined;
}

export interface EcrOptions {
  /**
   * The ECR API endpoint (tests: a fake on 127.0.0.1). Default: the SDK's own choice, which honours
   * `AWS_ENDPOINT_URL_ECR` and `AWS_ENDPOINT_URL`, else the region's public endpoint.
   */
  endpoint?: string;
  pushTimes?: PushTimeSink;
}

/** Abandon a stalled ECR call like a stalled registry request. */
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_PAGES = 200;

/**
 * ECR answers "which tags does this image carry" with one `DescribeImages` call filtered by the
 * digest (`imageIds`), not one HEAD per tag. It is AWS's API, not the registry's: signed with the
 * standard AWS credential chain (environment, shared config and SSO, web identity, container and
 * instance roles), through `@aws-sdk/client-ecr`, which is loaded only when an ECR repository is
 * searched. Without AWS credentials the listing is skipped without a word. These calls do not go
 * through the registry client, so its request meter does not count them.
 */
export function ecrTagSource(options: EcrOptions = {}): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const where = ecrRegistryOf(repo.registry);
      if (!where) throw new BulkApiError(`${API}: ${repo.registry} is not an ECR registry host`);
      // Once per process the SDK warns that its later releases need Node 22. That is this project's
      // concern (the dependency is pinned to a release that supports Node 20), not the user's, and
      // it would be the only stderr line of a clean run. A user's own setting is kept.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const sdk = await import('@aws-sdk/client-ecr');
      const client = new sdk.ECRClient({
        region: where.region,
        maxAttempts: 2,
        requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: REQUEST_TIMEOUT_MS },
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      });
      const details: ImageDetail[] = [];
      try {
        // Filtered by digest the answer is that one image; nextToken is followed should it come.
        let nextToken: string | undefined;
        let pages = 0;
        do {
          if (++pages > MAX_PAGES) throw new BulkApiError(`${API}: more than ${MAX_PAGES} pages`);
          const out = await client.send(
            new sdk.DescribeImagesCommand({
              registryId: where.account,
              repositoryName: repo.repository,
              imageIds: [{ imageDigest: digest }],
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          details.push(...(out.imageDetails ?? []));
          nextToken = out.nextToken || undefined;
        } while (nextToken !== undefined);
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        // The digest the registry just named is not in ECR's index (yet): no tag to name.
        if (name === 'ImageNotFoundException') return [];
        if (name === 'CredentialsProviderError') throw new BulkUnavailableError(`${API}: no AWS credentials`);
        if (error instanceof BulkApiError) throw error;
        throw new BulkApiError(`${API}: ${typeof name === 'string' ? `${name}: ` : ''}${(error as Error).message}`);
      } finally {
        client.destroy();
      }
      const tags: string[] = [];
      for (const detail of details) {
        if (detail.imageDigest !== digest) continue;
        for (const tag of detail.imageTags ?? []) {
          options.pushTimes?.record(repo, tag, digest, ecrPushTime(detail));
          tags.push(tag);
        }
      }
      return tags;
    },
  };
}

/**
 * An image's `imagePushedAt`: when the image (the digest, not each tag) was pushed. On the wire
 * (JSON 1.1) epoch seconds, possibly fractional (`1717680780.123`); the SDK hands it over as a
 * `Date`. Source: Amazon ECR API Reference, `ImageDetail` (docs.aws.amazon.com/AmazonECR/latest/
 * APIReference/API_ImageDetail.html), beside `lastRecordedPullTime`, which is a pull.
 */
export function ecrPushTime(detail: { imagePushedAt?: unknown }): number | undefined {
  const at = detail.imagePushedAt;
  if (at instanceof Date) return Number.isNaN(at.getTime()) || at.getTime() < 0 ? undefined : at.getTime();
  return epochSecondsTime(at);
}
