// Keyless signatures in cosign's tag format: the certificate annotation is checked against the
// trusted root and the identities like a bundle's, and, when the root has a log, cosign's Rekor
// bundle annotation must carry an entry of it for this very signature.
import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readIdentity } from '../../src/verify/spec.js';
import { verifySignatures } from '../../src/verify/verdict.js';
import { keylessSigner, simpleSigningPayload, testLog } from './sign.js';

const DIGEST = `sha256:${'5'.repeat(64)}`;
const ca = keylessSigner();
const log = testLog();
const { certificatePem, privateKey } = ca.issue({ issuer: 'https://issuer.test', subject: 'release@example.com' });
const payload = simpleSigningPayload('app', DIGEST);
const signature = sign('sha256', payload, privateKey).toString('base64');
const spec = (root: unknown, subject = '^release@example\\.com$') => ({ keys: [], identities: [readIdentity('^https://issuer\\.test$', subject, 'test')], trustedRoot: { name: 'root.json', json: root } });
const found = (layer: Record<string, unknown>) => ({ tag: 'x.sig', layers: [{ payload, signature, certificate: certificatePem, ...layer }], bundles: [] });
const withLog = { ...(ca.trustedRoot as Record<string, unknown>), tlogs: [log.trustedRootEntry] };

describe('keyless signatures in the tag format', () => {
  it('a certificate from a private CA (a root without logs) for a matching identity passes', async () => {
    expect(await verifySignatures(found({}), spec(ca.trustedRoot), DIGEST)).toMatchObject({ pass: true, by: 'identity https://issuer.test release@example.com' });
  });

  it('another identity does not match; another digest is a replay', async () => {
    expect((await verifySignatures(found({}), spec(ca.trustedRoot, '^ops@'), DIGEST)).reason).toMatch(/^identity does not match \(issuer https:\/\/issuer\.test, subject release@example\.com\)/);
    expect((await verifySignatures(found({}), spec(ca.trustedRoot), `sha256:${'6'.repeat(64)}`)).reason).toMatch(/^signed for another digest/);
  });

  it('with a log in the root, the Rekor bundle annotation must hold its entry for this signature', async () => {
    const annotation = log.rekorAnnotation(payload, signature, certificatePem);
    expect(await verifySignatures(found({ rekorBundle: annotation }), spec(withLog), DIGEST)).toMatchObject({ pass: true });
    expect((await verifySignatures(found({}), spec(withLog), DIGEST)).reason).toBe('no signature verifies with the given keys');
    const otherLog = testLog().rekorAnnotation(payload, signature, certificatePem);
    expect((await verifySignatures(found({ rekorBundle: otherLog }), spec(withLog), DIGEST)).pass).toBe(false);
    const otherSignature = log.rekorAnnotation(payload, sign('sha256', Buffer.from('x'), privateKey).toString('base64'), certificatePem);
    expect((await verifySignatures(found({ rekorBundle: otherSignature }), spec(withLog), DIGEST)).pass).toBe(false);
  });
});
