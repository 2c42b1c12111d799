/** Refused keys: what a store would otherwise resolve outside its root or read ambiguously. */
export class InvalidArchiveKey extends Error {
  override name = 'InvalidArchiveKey';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid archive key ${JSON.stringify(key)}: ${reason}`);
  }
}

/**
 * Keys are `/`-separated relative paths: no `..` or `.` segment, no leading `/`, no backslash, no
 * empty segment, no control characters. Both stores check, so a key valid for one is valid for the other.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArchiveKey(String(key), 'empty');
  if (key.length > 1024) throw new InvalidArchiveKey(key, 'longer than 1024 characters');
  if (key.includes('\\')) throw new InvalidArchiveKey(key, 'backslashes are not allowed');
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw new InvalidArchiveKey(key, 'must be relative');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key))
    throw new InvalidArchiveKey(key, 'control characters are not allowed');
  for (const segment of key.split('/')) {
    if (segment === '..' || segment === '.')
      throw new InvalidArchiveKey(key, `"${segment}" segments are not allowed`);
    if (segment === '') throw new InvalidArchiveKey(key, 'empty path segment');
  }
}

/** A list prefix: like a key, but may be empty or end with `/`. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? `${prefix}x` : prefix);
}
