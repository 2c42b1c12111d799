import type { NextFunction, Request, Response } from 'express';
import { HTTP_DURATION_BUCKETS, meter } from './metrics';

let instruments: ReturnType<typeof create> | undefined;

function create() {
  const m = meter('vigil.http');
  return {
    duration: m.createHistogram('http.server.request.duration.seconds', {
      description: 'HTTP server request duration',
      unit: 's',
      advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
    }),
  };
}

/** The route template (e.g. /api/v1/users/:id), never the raw path: bounded label cardinality. */
export function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return route ? `${req.baseUrl ?? ''}${route}` : 'unmatched';
}

/** Records method, route, status and duration of every request once it finishes. */
export function httpMetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
  instruments ??= create();
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    instruments!.duration.record(seconds, {
      'http.request.method': req.method,
      'http.route': routeOf(req),
      'http.response.status_code': res.statusCode,
    });
  });
  next();
}
