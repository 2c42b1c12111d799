import type { NextFunction, Request, Response } from 'express';
import { canonicalPath } from './request-meta';

/**
 * seed 003-17: HSTS on every answer (the gateway is what the ingress exposes), no MIME sniffing,
 * no framing, and nothing under /api/ cached by browsers or proxies (tokens live there).
 */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  const path = canonicalPath(req.path);
  if (path.startsWith('/api/') && !path.startsWith('/api/docs')) {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
  }
  next();
}
