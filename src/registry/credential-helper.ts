/**
 * Docker's credential-helper protocol (`docker-credential-<name> get`): the server address on
 * stdin, `{"ServerURL","Username","Secret"}` on stdout, "credentials not found" on stdout with a
 * non-zero exit when there is nothing stored. A `<token>` user means the secret is an identity
 * (refresh) token. This is how ECR, GCR/Artifact Registry, ACR and desktop keychains hand out
 * credentials.
 */
import { lazyBuiltin } from './lazy-builtin.js';
import type { Credential } from './types.js';

export class CredentialHelperError extends Error {
  override name = 'CredentialHelperError';
}

export interface HelperRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Cloud helpers call their metadata servers; give them time, but not forever. Default 60 s. */
  timeoutMs?: number;
}

const NOT_FOUND = /credentials not found/i;

/*
 * node:child_process (which loads dgram, the socket list and the spawn bindings, 9 of Node's
 * modules) is loaded when a helper first runs, not with the keychain: most runs configure none.
 */
const childProcess = lazyBuiltin<typeof import('node:child_process')>('node:child_process');

/** Helper output is only ever parsed; never quoted back, since it holds the secret. */
export function parseHelperOutput(stdout: string, helper: string): Credential {
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new CredentialHelperError(`docker-credential-${helper} get: the answer is not JSON`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (secret === '') throw new CredentialHelperError(`docker-credential-${helper} get: the answer has no Secret`);
  return username === '<token>' ? { identityToken: secret } : { username, password: secret };
}

export function runCredentialHelper(helper: string, serverUrl: string, options: HelperRunOptions = {}): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    return Promise.reject(new CredentialHelperError(`credential helper name ${JSON.stringify(helper)} is not a plain program name`));
  }
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = childProcess().execFile(
      program,
      ['get'],
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          try {
            resolve(parseHelperOutput(stdout, helper));
          } catch (e) {
            reject(e as Error);
          }
          return;
        }
        if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return resolve(undefined);
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        if (e.code === 'ENOENT') return reject(new CredentialHelperError(`${program} is not on PATH`));
        const why = e.killed ? 'timed out' : `exited with ${String(e.code)}`;
        // The first stderr line says what went wrong (expired login, missing profile); it is not the secret.
        const hint = stderr.trim().split('\n')[0]?.slice(0, 200);
        reject(new CredentialHelperError(`${program} get for ${serverUrl} ${why}${hint ? `: ${hint}` : ''}`));
      },
    );
    child.stdin?.on('error', () => {}); // a helper that exits without reading stdin must not crash us
    child.stdin?.end(serverUrl);
  });
}
