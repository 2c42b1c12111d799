/**
 * Redaction at source: whatever reaches a log line passes through here first. Keys that name a
 * secret are masked whatever their value; string values are scrubbed of bearer tokens, JWTs and
 * credentials embedded in URLs.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /pass(word|wd|phrase)?$|^pwd$|secret|token|authorization|^cookie$|^set-cookie$|api[-_]?key|credential|private[-_]?key|signature|^otp$|^pin$|^password_?fingerprint$/i;

const VALUE_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED], // JWT
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`], // user:pass@ in URLs
  [
    /((?:password|passwd|pwd|secret|token|refresh_token|access_token|client_secret)=)[^&\s]+/gi,
    `$1${REDACTED}`,
  ],
];

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactString(value: string): string {
  let out = value;
  for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      stack: value.stack && redactString(value.stack),
    };
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] =
      isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, depth + 1, seen);
  }
  return out;
}
