import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';

/**
 * CORS for single-page apps on another origin (CORS_ALLOWED_ORIGINS): on `/api/v1/auth/*` and the
 * well-known documents only, for the listed origins only, never with credentials (tokens travel in
 * headers, not cookies). Preflights are answered here, before any guard or database work. Without
 * the variable no CORS header is sent (same-origin through the edge needs none).
 */
@Injectable()
export class CorsMiddleware implements NestMiddleware {
  private readonly origins: Set<string>;

  constructor(@Inject(SERVICE_CONFIG) config: AuthGatewayConfig) {
    this.origins = new Set(config.corsAllowedOrigins ?? []);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const origin = req.header('origin');
    if (this.origins.size === 0 || !origin) return next();
    res.vary('Origin');
    if (!this.origins.has(origin)) return next(); // no CORS header: the browser refuses the answer
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After, X-Request-Id, WWW-Authenticate');
    if (req.method === 'OPTIONS' && req.header('access-control-request-method')) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  }
}
