import { BadRequestException, type ArgumentsHost } from '@nestjs/common';
import winston from 'winston';
import Transport from 'winston-transport';
import { ProblemFilter } from './problem.filter';

class Lines extends Transport {
  readonly seen: Array<{ level: string; message: string }> = [];
  override log(info: { level: string; message: string }, next: () => void): void {
    this.seen.push({ level: info.level, message: info.message });
    next();
  }
}

function answer(exception: unknown) {
  const lines = new Lines();
  const filter = new ProblemFilter(winston.createLogger({ transports: [lines] }));
  const res = {
    headersSent: false,
    headers: {} as Record<string, string>,
    statusCode: 0,
    body: undefined as unknown,
    setHeader(k: string, v: string) {
      this.headers[k.toLowerCase()] = v;
      return this;
    },
    status(s: number) {
      this.statusCode = s;
      return this;
    },
    type() {
      return this;
    },
    json(b: unknown) {
      this.body = b;
      return this;
    },
  };
  const req = { path: '/api/v1/auth/login', originalUrl: '/api/v1/auth/login' };
  const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) };
  filter.catch(exception, host as unknown as ArgumentsHost);
  return { res, lines: lines.seen };
}

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('ProblemFilter: a dependency that is away is a 503, not a 500', () => {
  it.each([
    [
      'PostgreSQL shutting down (57P01)',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['PostgreSQL starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['connection cut (no code)', new Error('Connection terminated unexpectedly')],
    [
      'TypeORM wrapping the driver error',
      Object.assign(new Error('query failed'), { driverError: pgError('08006', 'x') }),
    ],
  ])('%s: 503, Retry-After, a problem body that names no internals, logged as a warning', (_, err) => {
    const { res, lines } = answer(err);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      type: 'https://vigil.dev/problems/dependency-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'a dependency is unavailable for a moment; retry later',
      instance: '/api/v1/auth/login',
      requestId: undefined,
    });
    expect(lines.map((l) => l.level)).toEqual(['warn']);
  });

  it('a bug stays a 500 without Retry-After, logged as an error', () => {
    const { res, lines } = answer(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(res.statusCode).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toMatchObject({ type: 'https://vigil.dev/problems/internal-server-error' });
    expect(lines.map((l) => l.level)).toEqual(['error']);
  });

  it('a constraint violation (23505) is not a dependency failure: 500', () => {
    expect(answer(pgError('23505', 'duplicate key value')).res.statusCode).toBe(500);
  });

  it('an HttpException keeps its own status', () => {
    expect(answer(new BadRequestException('no')).res.statusCode).toBe(400);
  });
});
