import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'winston';
import { classifyFailure } from '@vigil/kafka';
import { currentContext } from '@vigil/telemetry';

/** How long a client is asked to wait when a dependency (PostgreSQL, the broker) is away. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/**
 * A failure that is a dependency's, not the request's nor a bug: PostgreSQL restarting, a
 * connection cut, a lock or statement timeout (libs/kafka classifies it). It is answered 503 with
 * Retry-After, as a client should try again, not 500.
 */
export function isDependencyFailure(exception: unknown): boolean {
  return !(exception instanceof HttpException) && classifyFailure(exception) === 'transient';
}

const DEPENDENCY_UNAVAILABLE = 'https://vigil.dev/problems/dependency-unavailable';

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: unknown;
}

/** Maps every error once to an `application/problem+json` body; 5xx never leak internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const problem = this.toProblem(exception, req);
    if (problem.type === DEPENDENCY_UNAVAILABLE)
      this.logger.warn('request refused: a dependency is unavailable', {
        err: exception,
        status: problem.status,
        path: req.path,
      });
    else if (problem.status >= 500)
      this.logger.error('request failed', { err: exception, status: problem.status, path: req.path });
    if (res.headersSent) return;
    if (problem.type === DEPENDENCY_UNAVAILABLE)
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    res.status(problem.status).type('application/problem+json').json(problem);
  }

  private toProblem(exception: unknown, req: Request): Problem {
    const requestId = currentContext()?.requestId;
    const instance = req.originalUrl?.split('?')[0];
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const payload =
        typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : { message: body };
      const message = payload.message;
      const isList = Array.isArray(message);
      const detail =
        typeof payload.detail === 'string'
          ? payload.detail
          : isList
            ? 'request validation failed'
            : String(message ?? exception.message);
      return {
        type:
          typeof payload.type === 'string'
            ? payload.type
            : `https://vigil.dev/problems/${slug(HttpStatus[status] ?? 'error')}`,
        title: typeof payload.title === 'string' ? payload.title : titleOf(status),
        status,
        detail,
        instance,
        requestId,
        ...(isList ? { errors: message } : payload.errors ? { errors: payload.errors } : {}),
      };
    }
    const bodyParserType = (exception as { type?: string })?.type;
    const status = (exception as { status?: number })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500 && bodyParserType) {
      return {
        type: `https://vigil.dev/problems/${slug(bodyParserType)}`,
        title: titleOf(status),
        status,
        detail: bodyParserType.replace(/\./g, ' '),
        instance,
        requestId,
      };
    }
    if (isDependencyFailure(exception))
      return {
        type: DEPENDENCY_UNAVAILABLE,
        title: 'Service Unavailable',
        status: 503,
        detail: 'a dependency is unavailable for a moment; retry later',
        instance,
        requestId,
      };
    return {
      type: 'https://vigil.dev/problems/internal-server-error',
      title: 'Internal Server Error',
      status: 500,
      instance,
      requestId,
    };
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function titleOf(status: number): string {
  const name = HttpStatus[status];
  return name
    ? name
        .toLowerCase()
        .split('_')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(' ')
    : 'Error';
}
