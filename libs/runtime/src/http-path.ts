/**
 * A path as Express routing sees it: case-insensitive, repeated and trailing slashes ignored,
 * percent-escapes decoded. Code that exempts or selects requests by prefix compares this, so
 * `/API/v1/...` or `/api/v1/auth/login/` meets the same rule as the canonical spelling.
 */
export function canonicalPath(path: string): string {
  let p = path;
  try {
    p = decodeURIComponent(p);
  } catch {
    // A malformed escape: Express does not route it either; compare it as it is.
  }
  p = p.toLowerCase().replace(/\/{2,}/g, '/');
  if (p.length > 1) p = p.replace(/\/+$/, '');
  return p || '/';
}
