import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate (EC P-256) for TLS registries, with the given hosts as
 * subjectAltNames (IPs become `IP:` entries). Uses the `openssl` CLI.
 */
export function generateTestCertificate(hosts: string[] = ['127.0.0.1', 'localhost']): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aip-cert-'));
  try {
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    const res = spawnSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=apply-image-policies-test', '-addext', `subjectAltName=${san}`,
      ],
      { encoding: 'utf8' },
    );
    if (res.status !== 0) throw new Error(`openssl failed: ${res.stderr}`);
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
