// A recording proxy in front of a third-party endpoint (KEYWARDEN_TEST_ENDPOINT): the contract
// tests that check which requests keywarden sent ("no mutating request", "nothing sent") read the
// same log there as they read from the built-in sandbox. Each request is forwarded unchanged
// (headers included, so a signature stays valid) and logged with its service, operation, Region,
// status and error code.

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  seq: number;
  service: string;
  operation: string;
  region: string;
  /** The request's parameters: the JSON body, or the query protocol's form fields. */
  params: unknown;
  status: number;
  errorCode?: string;
  receivedAt: number;
}

export interface RecordingProxy {
  url: string;
  requests(): ProxiedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

/** Service and Region from the SigV4 credential scope: `Credential=AKID/20261207/us-east-1/kms/aws4_request`. */
function scope(authorization: string | undefined): { service: string; region: string } {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { region: match[1]!, service: match[2]! } : { region: '?', service: '?' };
}

/** The operation: X-Amz-Target for the JSON protocols, Action= for the query protocol, else method and path. */
function operationOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop()!;
  const action = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body.toString('utf8'))?.[1];
  return action ?? `${req.method} ${req.url?.split('?')[0]}`;
}

/** An error code from the answer: the x-amzn-errortype header or a JSON `__type`/`code`. */
function errorCodeOf(status: number, headers: IncomingMessage['headers'], body: Buffer): string | undefined {
  if (status < 400) return undefined;
  const header = headers['x-amzn-errortype'];
  if (typeof header === 'string') return header.split(':')[0]!.split('#').pop();
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { __type?: string; code?: string };
    const code = parsed.__type ?? parsed.code;
    if (code) return code.split('#').pop();
  } catch {
    // not JSON: an XML error or a plain body
  }
  return /<Code>([^<]+)<\/Code>/.exec(body.toString('utf8'))?.[1] ?? `HTTP ${status}`;
}

function paramsOf(req: IncomingMessage, body: Buffer): unknown {
  const text = body.toString('utf8');
  if (typeof req.headers['x-amz-target'] === 'string' || text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export interface ProxyOptions {
  /**
   * Requests the proxy answers itself, as a KMS-only emulator (nsmithuk/local-kms) answers what it
   * does not serve: an X-Amz-Target it lacks gets HTTP 501 with a plain-text sentence, and a
   * query-protocol request (STS) HTTP 415 "Only JSON based content types accepted".
   */
  notServed?: (service: string, operation: string) => boolean;
}

export async function startRecordingProxy(target: string, options: ProxyOptions = {}): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  let log: ProxiedRequest[] = [];
  let seq = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const receivedAt = Date.now();
      const { service, region } = scope(req.headers.authorization);
      const operation = operationOf(req, body);
      const params = paramsOf(req, body);
      if (options.notServed?.(service, operation)) {
        const target = req.headers['x-amz-target'];
        const [status, type, text] =
          typeof target === 'string'
            ? [501, 'application/x-amz-json-1.1', `Passed X-Amz-Target (${target}) is not implemented`]
            : [415, 'text/plain; charset=utf-8', 'Only JSON based content types accepted'];
        log.push({ seq: ++seq, service, operation, region, params, status, errorCode: `HTTP ${status}`, receivedAt });
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      const forward = send(
        { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: `${upstream.pathname.replace(/\/$/, '')}${req.url ?? '/'}`, headers: req.headers },
        (answer) => {
          void readBody(answer).then((answerBody) => {
            const status = answer.statusCode ?? 0;
            const errorCode = errorCodeOf(status, answer.headers, answerBody);
            log.push({ seq: ++seq, service, operation, region, params, status, ...(errorCode ? { errorCode } : {}), receivedAt });
            res.writeHead(status, answer.headers);
            res.end(answerBody);
          });
        },
      );
      forward.on('error', (error) => {
        log.push({ seq: ++seq, service, operation, region, params, status: 502, errorCode: `proxy: ${error.message}`, receivedAt });
        res.destroy(error);
      });
      forward.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...log],
    clearRequests: () => {
      log = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
