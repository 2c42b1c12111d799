import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'winston';
import { routeOf, runWithContext } from '@vigil/telemetry';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Accepts a well-formed X-Request-Id (else makes one), echoes it, and scopes it to the request. */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  const tp = req.header('traceparent');
  res.setHeader('X-Request-Id', requestId);
  runWithContext({ requestId, traceparent: tp && TRACEPARENT.test(tp) ? tp : undefined }, () => next());
}

/** One JSON access-log line per request: method, route template, status, latency (seed 000 L12). */
export function accessLogMiddleware(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      if (req.path === '/metrics' || req.path.startsWith('/health')) {
        if (level === 'info') return; // scrapes and probes would drown everything else
      }
      logger.log(level, 'request', {
        http: {
          method: req.method,
          route: routeOf(req),
          status: res.statusCode,
          durationMs: Math.round(ms * 10) / 10,
        },
        // req.ip: the socket peer, or the client a trusted proxy names (TRUST_PROXY).
        client: { ip: req.ip },
      });
    });
    next();
  };
}
