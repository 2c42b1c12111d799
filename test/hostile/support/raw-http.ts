/**
 * A bare HTTP/1.1 client over node:http, so the suite can send what a well-behaved client would
 * refuse to: bytes that are not UTF-8, a body whose content type lies, a 64 KiB header.
 */
import http from 'node:http';

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: Record<string, unknown>;
}

export interface RawRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Sends one request to `base` (`http://127.0.0.1:port`); a reset connection resolves as status 0. */
export function send(base: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(base);
  const body =
    req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  return new Promise((resolve) => {
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        agent,
        // Node's own client refuses nothing here beyond its header-size limit, raised for the 64 KiB case.
        maxHeaderSize: 256 * 1024,
        headers: {
          ...(body ? { 'content-length': String(body.length) } : {}),
          ...req.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text,
            json,
          });
        });
        res.on('error', () => resolve({ status: 0, contentType: '', text: '' }));
      },
    );
    r.on('error', () => resolve({ status: 0, contentType: '', text: '' }));
    if (body) r.write(body);
    r.end();
  });
}

export function closeAgent(): void {
  agent.destroy();
}
