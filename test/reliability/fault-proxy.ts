/**
 * A streaming reverse proxy in front of a real test registry that misbehaves on demand at the
 * socket level. The shared `startProxy` buffers whole bodies and always answers cleanly, so it
 * cannot reset a connection halfway through a body, close before the declared `Content-Length`,
 * or send 100 MB without holding 100 MB; this one forwards with pipes and can.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';

export type Fault =
  /** Forward after a pause (a slow registry or a long round trip). */
  | { kind: 'delay'; ms: number }
  /** TCP RST before any byte of the answer. */
  | { kind: 'reset' }
  /** Forward the status line, headers and the first `afterBytes` of the body, then RST. */
  | { kind: 'reset-mid-body'; afterBytes: number }
  /** Forward the headers (with the real `Content-Length`) and `afterBytes` of the body, then a clean FIN. */
  | { kind: 'truncate'; afterBytes: number }
  /** Forward, replacing response headers (an undefined value removes the header). */
  | { kind: 'rewrite-headers'; headers: Record<string, string | undefined> }
  /** Answer without asking the registry. `body` may be a generator, so huge bodies are never held in memory. */
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string | (() => AsyncIterable<Buffer | string>) };

export interface FaultRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  /** Path without the query. */
  path: string;
  /** Path with the query, as received. */
  url: string;
  authorization: string | undefined;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  url: string;
  /** Every request seen, in arrival order. */
  requests(): FaultRequest[];
  /** Bytes written as response bodies so far (a cap on the client's side shows up as far fewer than offered). */
  bodyBytesSent(): number;
  /** Replaces the rule; undefined forwards everything untouched. */
  setFault(rule: ((request: FaultRequest) => Fault | undefined) | undefined): void;
  clear(): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const seen: FaultRequest[] = [];
  const sockets = new Set<Socket>();
  let rule: ((request: FaultRequest) => Fault | undefined) | undefined;
  let sent = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const headers = { ...up.headers };
        if (fault?.kind === 'rewrite-headers') {
          for (const [name, value] of Object.entries(fault.headers)) {
            if (value === undefined) delete headers[name.toLowerCase()];
            else headers[name.toLowerCase()] = value;
          }
        }
        res.writeHead(up.statusCode ?? 502, headers);
        if (fault?.kind !== 'reset-mid-body' && fault?.kind !== 'truncate') {
          up.on('data', (chunk: Buffer) => (sent += chunk.length));
          up.pipe(res);
          return;
        }
        let budget = fault.afterBytes;
        up.on('data', (chunk: Buffer) => {
          if (budget <= 0) return;
          const part = chunk.subarray(0, budget);
          budget -= part.length;
          sent += part.length;
          res.write(part);
          if (budget > 0) return;
          up.destroy();
          // Flush what was written, then cut: RST for a reset, FIN for a truncation.
          res.socket?.uncork();
          if (fault.kind === 'reset-mid-body') setImmediate(() => res.socket?.resetAndDestroy());
          else setImmediate(() => res.socket?.end());
        });
      },
    );
    out.on('error', () => res.socket?.destroy());
    req.pipe(out);
  };

  const respond = async (res: ServerResponse, fault: Extract<Fault, { kind: 'respond' }>, method: string): Promise<void> => {
    res.writeHead(fault.status, fault.headers ?? {});
    if (method === 'HEAD' || fault.body === undefined) return void res.end();
    if (typeof fault.body === 'string') {
      sent += Buffer.byteLength(fault.body);
      return void res.end(fault.body);
    }
    const body = Readable.from(fault.body());
    body.on('data', (chunk: Buffer | string) => (sent += Buffer.byteLength(chunk)));
    // A client that gives up closes the socket: stop generating instead of buffering the rest.
    res.on('close', () => body.destroy());
    body.pipe(res);
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const request: FaultRequest = {
      index: seen.length,
      method: req.method ?? 'GET',
      path: url.split('?')[0]!,
      url,
      authorization: req.headers.authorization,
    };
    seen.push(request);
    const fault = rule?.(request);
    if (fault?.kind === 'reset') return void req.socket.resetAndDestroy();
    if (fault?.kind === 'respond') return void respond(res, fault, request.method);
    if (fault?.kind === 'delay') return void setTimeout(() => forward(req, res, undefined), fault.ms);
    forward(req, res, fault);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    host,
    url: `http://${host}`,
    requests: () => [...seen],
    bodyBytesSent: () => sent,
    setFault: (next) => {
      rule = next;
    },
    clear: () => {
      seen.length = 0;
      sent = 0;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A `tags/list` body of about `totalBytes`, produced chunk by chunk: the test process never holds
 * more than one chunk, whatever the size.
 */
export function hugeTagList(repository: string, totalBytes: number): () => AsyncIterable<Buffer> {
  return async function* () {
    const tagsPerChunk = 4096;
    let produced = 0;
    let n = 0;
    yield Buffer.from(`{"name":${JSON.stringify(repository)},"tags":["0.0.0"`);
    while (produced < totalBytes) {
      let chunk = '';
      for (let i = 0; i < tagsPerChunk; i++, n++) chunk += `,"0.0.${n}-padding-to-make-the-list-big"`;
      produced += chunk.length;
      yield Buffer.from(chunk);
    }
    yield Buffer.from(']}');
  };
}

export interface SilentServer {
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  /** Connections accepted so far (TLS probes and handshake checks included). */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * A registry that hangs: it accepts every TCP connection and never sends a byte, not even a TLS
 * handshake. Below HTTP, so neither the fault proxy nor a real registry can play it.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createNetServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
