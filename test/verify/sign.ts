/**
 * Signs test images the way cosign does, with keys made by node:crypto (and, keyless, a local CA
 * standing in for Fulcio), and pushes the signatures with the harness: cosign's `.sig` tag
 * (simple-signing payload layers with the signature annotation), and Sigstore bundles as OCI
 * referrers listed by the `sha256-<hex>` fallback tag (distribution 2.8 has no referrers API).
 */
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushBlob, putManifest, sha256, type RegistryTarget } from '../harness/registry.js';

export interface TestKey {
  privateKey: KeyObject;
  /** PEM SubjectPublicKeyInfo, as cosign.pub. */
  publicPem: string;
}

/** ECDSA P-256, cosign's default. */
export function generateKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 };
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** cosign's simple-signing payload for `digest` in `repo`. */
export function simpleSigningPayload(repo: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': repo }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

export interface SignatureLayer {
  payload: Buffer;
  signature: string;
  /** More layer annotations: keyless cosign's certificate, chain and Rekor bundle. */
  annotations?: Record<string, string>;
}

export function signPayload(key: TestKey, payload: Buffer): SignatureLayer {
  return { payload, signature: sign('sha256', payload, key.privateKey).toString('base64') };
}

/** PUTs `layers` as the `.sig` tag of `digest` (what `cosign sign --key` writes, or a forgery). */
export async function pushSigTag(target: RegistryTarget, repo: string, digest: string, layers: SignatureLayer[]): Promise<void> {
  await pushBlob(target, repo, Buffer.from('{}'));
  const described = [];
  for (const layer of layers) {
    const blob = await pushBlob(target, repo, layer.payload);
    described.push({ mediaType: SIMPLE_SIGNING, digest: blob, size: layer.payload.length, annotations: { 'dev.cosignproject.cosign/signature': layer.signature, ...layer.annotations } });
  }
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...EMPTY, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: described }));
  await putManifest(target, repo, `${digest.replace(':', '-')}.sig`, manifest, OCI_MANIFEST);
}

/** The DSSE pre-authentication encoding, what a DSSE signature is over. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** The in-toto statement cosign 3 signs for an image. */
export function statementFor(repo: string, digest: string): Buffer {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: repo, digest: { [algorithm]: hex } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
}

/** A Sigstore bundle v0.3 over `statement`, with a public key hint or a certificate (keyless). */
export function makeBundle(privateKey: KeyObject, statement: Buffer, material: { hint: string } | { certificatePem: string }): Buffer {
  const type = 'application/vnd.in-toto+json';
  const sig = sign('sha256', pae(type, statement), privateKey).toString('base64');
  const verificationMaterial =
    'hint' in material
      ? { publicKey: { hint: material.hint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } }
      : { certificate: { rawBytes: pemToDer(material.certificatePem).toString('base64') }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } };
  return Buffer.from(JSON.stringify({ mediaType: BUNDLE_TYPE, verificationMaterial, dsseEnvelope: { payload: statement.toString('base64'), payloadType: type, signatures: [{ sig, keyid: '' }] } }));
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * Pushes `bundles` as referrers of `subject` (each an OCI manifest with artifactType the bundle
 * type and `subject` set) and the fallback tag `sha256-<hex>` indexing them.
 */
export async function pushBundleReferrers(target: RegistryTarget, repo: string, subject: { digest: string; mediaType: string; size: number }, bundles: Buffer[]): Promise<string[]> {
  await pushBlob(target, repo, Buffer.from('{}'));
  const entries = [];
  for (const bundle of bundles) {
    const blob = await pushBlob(target, repo, bundle);
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: BUNDLE_TYPE, config: EMPTY, layers: [{ mediaType: BUNDLE_TYPE, digest: blob, size: bundle.length }], subject }),
    );
    const digest = await putManifest(target, repo, sha256(manifest), manifest, OCI_MANIFEST);
    entries.push({ mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_TYPE });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  await putManifest(target, repo, subject.digest.replace(':', '-'), index, OCI_INDEX);
  return entries.map((e) => e.digest);
}

function openssl(dir: string, args: string[]): void {
  const res = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
  if (res.status !== 0) throw new Error(`openssl ${args[0]} failed: ${res.stderr}`);
}

export interface KeylessSigner {
  /** The CA, as a Sigstore trusted root JSON with no transparency or CT logs. */
  trustedRoot: unknown;
  issue(identity: { issuer: string; subject: string }): { certificatePem: string; privateKey: KeyObject };
}

/** A local CA standing in for Fulcio: code-signing certificates with an email SAN and the OIDC issuer extension. */
export function keylessSigner(): KeylessSigner {
  const dir = mkdtempSync(join(tmpdir(), 'aip-fulcio-'));
  try {
    openssl(dir, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
      '-subj', '/O=test/CN=test fulcio', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const ca = { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
    const trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [{ subject: { organization: 'test', commonName: 'test fulcio' }, uri: 'https://fulcio.test', certChain: { certificates: [{ rawBytes: pemToDer(ca.cert).toString('base64') }] }, validFor: { start: new Date(Date.now() - 86_400_000).toISOString() } }],
      ctlogs: [],
      timestampAuthorities: [],
    };
    return {
      trustedRoot,
      issue({ issuer, subject }) {
        const work = mkdtempSync(join(tmpdir(), 'aip-leaf-'));
        try {
          writeFileSync(join(work, 'ca.crt'), ca.cert);
          writeFileSync(join(work, 'ca.key'), ca.key);
          writeFileSync(
            join(work, 'ext.cnf'),
            ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', `subjectAltName=email:${subject}`, `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${issuer}`].join('\n') + '\n',
          );
          openssl(work, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=sigstore.dev']);
          openssl(work, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '1', '-extfile', 'ext.cnf']);
          return { certificatePem: readFileSync(join(work, 'leaf.crt'), 'utf8'), privateKey: createPrivateKey(readFileSync(join(work, 'leaf.key'), 'utf8')) };
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestLog {
  /** The log's entry for a trusted root's `tlogs`. */
  trustedRootEntry: unknown;
  /** cosign's `dev.sigstore.cosign/bundle` annotation: a hashedrekord entry of this log for a tag-format signature. */
  rekorAnnotation(payload: Buffer, signature: string, certificatePem: string): string;
  /** `bundle` with a DSSE entry in this log: an inclusion promise (SET) and a one-entry inclusion proof, signed by the log's key. */
  enter(bundle: Buffer, certificatePem: string): Buffer;
}

/** A transparency log standing in for Rekor: its key signs inclusion promises and checkpoints, no network. */
export function testLog(): TestLog {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(spki).digest();
  return {
    trustedRootEntry: {
      baseUrl: 'https://rekor.test',
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: new Date(Date.now() - 86_400_000).toISOString() } },
      logId: { keyId: logId.toString('base64') },
    },
    rekorAnnotation(payload, signature, certificatePem) {
      const body = Buffer.from(
        JSON.stringify({
          apiVersion: '0.0.1',
          kind: 'hashedrekord',
          spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } }, signature: { content: signature, publicKey: { content: Buffer.from(certificatePem).toString('base64') } } },
        }),
      );
      const integratedTime = Math.floor(Date.now() / 1000) + 2;
      const entry = { body: body.toString('base64'), integratedTime, logID: logId.toString('hex'), logIndex: 3 };
      return JSON.stringify({ SignedEntryTimestamp: sign('sha256', Buffer.from(JSON.stringify(entry)), privateKey).toString('base64'), Payload: entry });
    },
    enter(bundle, certificatePem) {
      const parsed = JSON.parse(bundle.toString('utf8')) as { verificationMaterial: { tlogEntries: unknown[] }; dsseEnvelope: { payload: string; signatures: { sig: string }[] } };
      const payload = Buffer.from(parsed.dsseEnvelope.payload, 'base64');
      const body = Buffer.from(
        JSON.stringify({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
            signatures: [{ signature: parsed.dsseEnvelope.signatures[0]!.sig, verifier: Buffer.from(certificatePem).toString('base64') }],
          },
        }),
      );
      // Within the certificate's validity (openssl starts it now); the chain is checked at this time.
      const integratedTime = Math.floor(Date.now() / 1000) + 2;
      const promise = JSON.stringify({ body: body.toString('base64'), integratedTime, logID: logId.toString('hex'), logIndex: 0 });
      // A log of one entry: its root is the entry's leaf hash (RFC 6962), and the proof has no hashes.
      const root = createHash('sha256').update(Buffer.concat([Buffer.from([0]), body])).digest();
      const note = `rekor.test - test\n1\n${root.toString('base64')}\n`;
      const noteSignature = Buffer.concat([logId.subarray(0, 4), sign('sha256', Buffer.from(note), privateKey)]);
      parsed.verificationMaterial.tlogEntries = [
        {
          logIndex: '0',
          logId: { keyId: logId.toString('base64') },
          kindVersion: { kind: 'dsse', version: '0.0.1' },
          integratedTime: String(integratedTime),
          inclusionPromise: { signedEntryTimestamp: sign('sha256', Buffer.from(promise), privateKey).toString('base64') },
          inclusionProof: { logIndex: '0', rootHash: root.toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: `${note}\n\u2014 rekor.test ${noteSignature.toString('base64')}\n` } },
          canonicalizedBody: body.toString('base64'),
        },
      ];
      return Buffer.from(JSON.stringify(parsed));
    },
  };
}
