/**
 * Does a host speak https? The scheme resolver asks before it falls back to plain http for a
 * local registry. The probe goes straight to the socket: it must not be retried or
 * authenticated, only answered.
 */
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { AddressOf } from '../dispatcher.js';
import type { RequestCounter } from '../transport/count.js';
import { someCause } from '../errors.js';
import { isCertificateError, type RunDeadline } from './wording.js';

export interface HttpsProbeOptions {
  base: Dispatcher;
  counter: RequestCounter;
  userAgent: string;
  timeoutFor(host: string): number;
  addressOf?: AddressOf;
  runDeadline?: RunDeadline;
}

export function httpsProbe({ base, counter, userAgent, timeoutFor, addressOf, runDeadline }: HttpsProbeOptions): (host: string) => Promise<boolean> {
  return async (host) => {
    // A stalled host gets no more patience here than its own timeout allows.
    const patience = Math.max(1, Math.min(5000, timeoutFor(host), runDeadline ? runDeadline.at - Date.now() : Infinity));
    counter.count++;
    const probe = base
      .request({ origin: `https://${host}`, path: '/v2/', method: 'GET', headers: { 'user-agent': userAgent }, headersTimeout: patience, bodyTimeout: patience })
      .then(async (res) => {
        await res.body.dump();
        return true;
      });
    // undici's timers are coarse (about a second) and an abort does not end a connection
    // attempt, so the probe gets a clock of its own; a host that stays silent this long speaks no TLS to us.
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<false>((resolve) => (timer = setTimeout(resolve, patience, false)));
    try {
      const answered = await Promise.race([probe, silence]);
      if (!answered) probe.catch(() => {});
      return answered;
    } catch (error) {
      // A certificate we do not trust, or a server that hangs up after the handshake (mTLS
      // without our certificate), still proves the host speaks TLS: report that, rather than
      // falling back to http and showing the user a baffling 400 from a TLS port.
      // A peer that answered the ClientHello with bytes that are not TLS (a plain-http registry
      // sends a 400) speaks no TLS at all: no second handshake can change that.
      if (someCause(error, (e) => e.code === 'ERR_SSL_WRONG_VERSION_NUMBER')) return false;
      return isCertificateError(error) || (await completesTlsHandshake(host, patience, addressOf));
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Whether a TLS handshake with `host` completes, whatever happens after it. Certificates are not judged here. */
function completesTlsHandshake(host: string, timeoutMs: number, addressOf: AddressOf = (name) => name): Promise<boolean> {
  const url = new URL(`https://${host}`);
  return new Promise((resolve) => {
    const name = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tlsConnect({ host: addressOf(name), port: Number(url.port || 443), ...(isIP(name) ? {} : { servername: name }), rejectUnauthorized: false });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}
