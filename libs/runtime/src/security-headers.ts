import type { NextFunction, Request, Response } from 'express';
import { canonicalPath } from './http-path';

/**
 * The OpenAPI UI is the one HTML page a service serves; everything else is JSON or text. It lives
 * at /api/docs (the gateway) or under a service's API prefix, /api/v1/<api>/docs (openapi.ts),
 * with its assets below it and the document beside it (`-json`, `-yaml`).
 */
const DOCS_PATH = /^\/api\/(?:v1\/[a-z]+\/)?docs(?:-json|-yaml)?(?:\/|$)/;

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// Swagger UI loads its own bundle and styles from the service and injects inline styles.
const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Security headers on every answer of every service, set before routing so 404s, guard refusals
 * and problem bodies carry them too (seeds 003-17, 002-44): HSTS (honoured once TLS terminates in
 * front), no MIME sniffing, no framing, no referrer, a deny-all content policy for API answers,
 * same-origin isolation, and nothing under /api/ stored by browsers or proxies (tokens and audit
 * rows live there).
 */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  const path = canonicalPath(req.path);
  const docs = DOCS_PATH.test(path);
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', docs ? DOCS_CSP : API_CSP);
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  if (path.startsWith('/api/') && !docs) {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
  }
  next();
}
