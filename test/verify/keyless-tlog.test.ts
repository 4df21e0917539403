// Keyless against a trusted root that has a transparency log: the bundle must carry an entry
// of that log (its inclusion promise verified offline with the log's key, its body matching the
// envelope), and the certificate chain is checked at the entry's time. A root without logs
// (the registry tests) needs none. Rekor here is a local key, as Fulcio is a local CA.
import { describe, expect, it } from 'vitest';
import { checkBundle } from '../../src/verify/bundle.js';
import { readIdentity } from '../../src/verify/spec.js';
import { keylessSigner, makeBundle, statementFor, testLog } from './sign.js';

const DIGEST = `sha256:${'3'.repeat(64)}`;
const ca = keylessSigner();
const log = testLog();
const root = { ...(ca.trustedRoot as Record<string, unknown>), tlogs: [log.trustedRootEntry] };
const identity = { issuer: 'https://issuer.test', subject: 'release@example.com' };
const spec = (trusted: unknown) => ({ keys: [], identities: [readIdentity('^https://issuer\\.test$', '^release@example\\.com$', 'test')], trustedRoot: { name: 'root.json', json: trusted } });
const { certificatePem, privateKey } = ca.issue(identity);
const bundle = makeBundle(privateKey, statementFor('app', DIGEST), { certificatePem });

describe('keyless with a transparency log in the trusted root', () => {
  it('a bundle with an entry of that log passes', async () => {
    const attempt = await checkBundle(log.enter(bundle, certificatePem), spec(root), DIGEST, 'test');
    expect(attempt).toMatchObject({ kind: 'verified', by: 'identity https://issuer.test release@example.com' });
  });

  it('a bundle without one does not: the root asks for a log entry', async () => {
    expect(await checkBundle(bundle, spec(root), DIGEST, 'test')).toMatchObject({ kind: 'unverified', why: expect.stringMatching(/tlog|timestamp/) });
  });

  it('an entry whose promise another log signed does not', async () => {
    expect(await checkBundle(testLog().enter(bundle, certificatePem), spec(root), DIGEST, 'test')).toMatchObject({ kind: 'unverified', why: expect.stringMatching(/inclusion|checkpoint/) });
  });

  it('an entry for another envelope does not', async () => {
    const other = makeBundle(privateKey, statementFor('app', `sha256:${'4'.repeat(64)}`), { certificatePem });
    const entered = JSON.parse(log.enter(other, certificatePem).toString('utf8')) as { verificationMaterial: unknown };
    const swapped = { ...(JSON.parse(bundle.toString('utf8')) as Record<string, unknown>), verificationMaterial: entered.verificationMaterial };
    expect(await checkBundle(Buffer.from(JSON.stringify(swapped)), spec(root), DIGEST, 'test')).toMatchObject({ kind: 'unverified', why: expect.stringMatching(/mismatch/) });
  });
});
