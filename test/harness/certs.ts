import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate (EC P-256) for TLS registries, with the given hosts as
 * subjectAltNames (IPs become `IP:` entries). Uses the `openssl` CLI.
 */
function openssl(dir: string, args: string[]): void {
  const res = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
  if (res.status !== 0) throw new Error(`openssl ${args[0]} failed: ${res.stderr}`);
}

export interface TestCa {
  cert: string;
  key: string;
}

/** A private certificate authority (EC P-256), as a company would run for its registries. */
export function generateTestCa(name = 'apply-image-policies test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'aip-ca-'));
  try {
    openssl(dir, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A leaf certificate signed by `ca`: a server certificate for `hosts`, or with `client: true` a
 * client certificate for mTLS.
 */
export function issueCertificate(ca: TestCa, opts: { hosts?: string[]; client?: boolean; name?: string } = {}): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aip-leaf-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key);
    const hosts = opts.hosts ?? ['127.0.0.1', 'localhost'];
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    const ext = opts.client
      ? ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth']
      : ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', `subjectAltName=${san}`];
    writeFileSync(join(dir, 'ext.cnf'), ext.join('\n') + '\n');
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${opts.name ?? (opts.client ? 'test-client' : hosts[0])}`]);
    openssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '2', '-extfile', 'ext.cnf']);
    return { cert: readFileSync(join(dir, 'leaf.crt'), 'utf8'), key: readFileSync(join(dir, 'leaf.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
