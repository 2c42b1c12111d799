import { CliError, ExitCode, UnavailableError } from './errors';

/** An RFC 9457 problem body as Vigil's services answer them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: unknown;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Send no Authorization header even when the client holds a token (health, login). */
  anonymous?: boolean;
  /** Statuses returned to the caller instead of thrown (e.g. 503 from /health, which has a body). */
  accept?: number[];
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * HTTP to one Vigil API. A 4xx problem becomes a CliError (exit 1) naming the method, path, status
 * and the problem's title and detail; a 5xx, 503 or a connection that fails becomes an
 * UnavailableError (exit 3). The token is sent, never printed.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
    private token?: () => Promise<string>,
  ) {}

  withToken(token: () => Promise<string>): ApiClient {
    return new ApiClient(this.baseUrl, this.timeoutMs, token);
  }

  get<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, opts).then((r) => r.body);
  }

  post<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body }).then((r) => r.body);
  }

  put<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...opts, body }).then((r) => r.body);
  }

  delete<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, opts).then((r) => r.body);
  }

  url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(
      path.replace(/^\//, ''),
      this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`,
    );
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * A GET whose body is read as a stream (exports): the response when it is 2xx, else the same
   * errors as request(). The caller consumes `body`.
   */
  async stream(path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { accept: '*/*', ...opts.headers };
    if (!opts.anonymous && this.token) headers.authorization = `Bearer ${await this.token()}`;
    // The timeout bounds the wait for the answer's headers, not the export's length.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { method: 'GET', headers, signal: abort.signal });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new UnavailableError(`GET ${url.origin}${url.pathname}: unreachable (${cause})`);
    } finally {
      clearTimeout(timer);
    }
    if (res.ok) return res;
    const text = await res.text();
    let problem: Problem = {};
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      /* not a problem body */
    }
    const what = `GET ${url.pathname}: ${res.status} ${problem.title ?? res.statusText}${problem.detail ? ` - ${problem.detail}` : ''}`;
    if (res.status >= 500) throw new UnavailableError(what, problem);
    throw new CliError(what, ExitCode.failed, problem);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (!opts.anonymous && this.token) headers.authorization = `Bearer ${await this.token()}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new UnavailableError(`${method} ${url.origin}${url.pathname}: unreachable (${cause})`);
    }
    const text = await res.text();
    let body: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (res.ok || opts.accept?.includes(res.status))
      return { status: res.status, body: body as T, headers: res.headers };
    const problem = (typeof body === 'object' && body ? body : {}) as Problem;
    const what = `${method} ${url.pathname}: ${res.status} ${problem.title ?? res.statusText}${problem.detail ? ` - ${problem.detail}` : ''}`;
    if (res.status >= 500) throw new UnavailableError(what, problem);
    throw new CliError(what, ExitCode.failed, problem);
  }
}
