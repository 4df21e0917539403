// Where signatures are looked for, without a registry: the referrers API when the registry has
// one (distribution 2.8, in the registry tests, has not), the fallback tag otherwise, and a
// referrer about another subject ignored. And the reasons' order when several signatures fail.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findSignatures, type SignaturePort } from '../../src/registry/signatures.js';
import type { FetchedManifest, ImageRepository, JsonResponse } from '../../src/registry/types.js';
import { readPublicKey } from '../../src/verify/spec.js';
import { verifySignatures } from '../../src/verify/verdict.js';
import { BUNDLE_TYPE, generateKey, makeBundle, signPayload, simpleSigningPayload, statementFor } from './sign.js';

const repo: ImageRepository = { written: 'r.test/app', registry: 'r.test', apiHost: 'r.test', repository: 'app' };
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const DIGEST = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;
const key = generateKey();

/** A registry of manifests and blobs by reference, with an optional referrers API answer. */
function fakeRegistry(manifests: Record<string, Buffer>, blobs: Buffer[], referrers?: unknown): SignaturePort & { asked: string[] } {
  const asked: string[] = [];
  const byDigest = new Map(blobs.map((b) => [sha(b), b]));
  return {
    asked,
    async fetchManifest(_repo, reference): Promise<FetchedManifest | undefined> {
      asked.push(`manifest ${reference}`);
      const bytes = manifests[reference];
      return bytes ? { digest: sha(bytes), bytes } : undefined;
    },
    async fetchBlob(_repo, digest) {
      asked.push(`blob ${digest}`);
      return byDigest.get(digest)!;
    },
    async getJson(_repo, path): Promise<JsonResponse> {
      asked.push(`GET ${path}`);
      return referrers === undefined ? { status: 404, headers: {}, body: undefined } : { status: 200, headers: {}, body: referrers };
    },
  };
}

function referrer(bundle: Buffer, subject: string): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, artifactType: BUNDLE_TYPE, config: {}, layers: [{ mediaType: BUNDLE_TYPE, digest: sha(bundle), size: bundle.length }], subject: { digest: subject } }));
}

describe('finding signatures', () => {
  const bundle = makeBundle(key.privateKey, statementFor('app', DIGEST), { hint: 'k' });

  it('through the referrers API when the registry answers it', async () => {
    const manifest = referrer(bundle, DIGEST);
    const registry = fakeRegistry({ [sha(manifest)]: manifest }, [bundle], { manifests: [{ digest: sha(manifest), artifactType: BUNDLE_TYPE }] });
    const found = await findSignatures(registry, repo, DIGEST);
    expect(found.referrersFrom).toBe('referrers API');
    expect(found.bundles).toHaveLength(1);
    expect(registry.asked).not.toContain(`manifest sha256-${'1'.repeat(64)}`);
    const verdict = await verifySignatures(found, { keys: [readPublicKey('k.pub', key.publicPem)], identities: [] }, DIGEST);
    expect(verdict.pass).toBe(true);
  });

  it('through the fallback tag when the API answers 404; a referrer of another subject is ignored', async () => {
    const mine = referrer(bundle, DIGEST);
    const foreign = referrer(bundle, OTHER);
    const index = Buffer.from(JSON.stringify({ manifests: [{ digest: sha(foreign), artifactType: BUNDLE_TYPE }, { digest: sha(mine), artifactType: BUNDLE_TYPE }, { digest: sha(mine), artifactType: 'application/spdx+json' }] }));
    const registry = fakeRegistry({ [sha(mine)]: mine, [sha(foreign)]: foreign, [`sha256-${'1'.repeat(64)}`]: index }, [bundle]);
    const found = await findSignatures(registry, repo, DIGEST);
    expect(found.referrersFrom).toBe(`fallback tag sha256-${'1'.repeat(64)}`);
    expect(found.bundles.map((b) => b.referrer)).toEqual([sha(mine)]);
  });

  it('nothing anywhere is unsigned', async () => {
    const found = await findSignatures(fakeRegistry({}, []), repo, DIGEST);
    expect(await verifySignatures(found, { keys: [readPublicKey('k.pub', key.publicPem)], identities: [] }, DIGEST)).toMatchObject({ pass: false, reason: 'unsigned' });
  });

  it('one good signature among failing ones passes; a replay outranks a bad signature as the reason', async () => {
    const spec = { keys: [readPublicKey('k.pub', key.publicPem)], identities: [] };
    const good = signPayload(key, simpleSigningPayload('app', DIGEST));
    const replayed = signPayload(key, simpleSigningPayload('app', OTHER));
    const forged = signPayload(generateKey(), simpleSigningPayload('app', DIGEST));
    const layers = (list: typeof good[]) => ({ tag: 'x.sig', layers: list.map((l) => ({ payload: l.payload, signature: l.signature })), bundles: [] });
    expect((await verifySignatures(layers([forged, replayed, good]), spec, DIGEST)).pass).toBe(true);
    expect((await verifySignatures(layers([forged, replayed]), spec, DIGEST)).reason).toMatch(/^signed for another digest/);
    expect((await verifySignatures(layers([forged]), spec, DIGEST)).reason).toBe('no signature verifies with the given keys');
  });
});

describe('signature lookups and the request budget', () => {
  it('every manifest and blob fetched for signatures counts against spec.requestBudget', async () => {
    const { withRequestBudget, RequestBudgetError } = await import('../../src/resolve/budget.js');
    let sent = 0;
    const inner = {
      listTags: async () => [],
      resolveDigest: async () => DIGEST,
      fetchManifest: async () => (sent++, undefined),
      fetchBlob: async () => (sent++, Buffer.alloc(0)),
      requestCount: () => sent,
    };
    const metered = withRequestBudget(inner, 2);
    await metered.fetchManifest!(repo, 'a.sig');
    await metered.fetchBlob!(repo, DIGEST);
    await expect(metered.fetchManifest!(repo, 'b.sig')).rejects.toBeInstanceOf(RequestBudgetError);
    await expect(metered.fetchBlob!(repo, DIGEST)).rejects.toBeInstanceOf(RequestBudgetError);
  });
});
