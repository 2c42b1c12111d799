import type { RawResponse } from './raw-http';

/** The endpoints that answer RFC 6749 §5.2 error bodies (application/json), not problem+json. */
export const OAUTH_PATHS = ['/api/v1/auth/token', '/api/v1/auth/revoke', '/api/v1/auth/introspect'];

/**
 * What a hostile request may get: anything below 500; a refusal (4xx) is a problem+json body whose
 * status is the response's (an RFC 6749 error body on the OAuth endpoints). Null when acceptable,
 * else why not.
 */
export function judge(path: string, res: RawResponse): string | null {
  if (res.status === 0) return 'connection reset, no answer';
  if (res.status >= 500) return `${res.status} ${res.text.slice(0, 200)}`;
  if (res.status < 400) return null;
  const bare = path.split('?')[0];
  if (OAUTH_PATHS.includes(bare) && res.contentType.startsWith('application/json')) {
    return typeof res.json?.error === 'string'
      ? null
      : `${res.status} OAuth error without "error": ${res.text.slice(0, 120)}`;
  }
  if (!res.contentType.startsWith('application/problem+json'))
    return `${res.status} as ${res.contentType || 'no content type'}: ${res.text.slice(0, 120)}`;
  if (res.json?.status !== res.status)
    return `${res.status} problem body says status ${String(res.json?.status)}`;
  return null;
}
