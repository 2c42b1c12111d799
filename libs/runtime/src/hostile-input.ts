import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * Deepest JSON body a service accepts. Valid bodies nest 3 levels at most; the validation pipe's
 * class-transformer recurses once per level (several frames each), so a 2,000-deep array that fits
 * in a 16 KiB body overflowed the stack and answered 500 (hostile corpus, issue 18 item 3).
 */
export const MAX_BODY_DEPTH = 32;

/** The nesting depth of `value`, counted without recursion, stopping as soon as it passes `limit`. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * U+0000 and unpaired UTF-16 surrogates: PostgreSQL text and jsonb cannot hold them (a NUL in a login
 * name failed the user lookup with SQLSTATE 22021, answered 500), and UTF-8 cannot carry a lone
 * surrogate (it would be stored as U+FFFD, not as sent).
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first string (key or value) anywhere in `value` that PostgreSQL could not store as sent. */
export function hasUnstorableString(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/**
 * After the body parsers: a body nested deeper than MAX_BODY_DEPTH, or a body or query string
 * holding a NUL or an unpaired surrogate, is refused (400, problem+json) before any handler.
 */
export function hostileInputGuard(req: Request, _res: Response, next: NextFunction): void {
  if (depthExceeds(req.body, MAX_BODY_DEPTH)) {
    next(new BadRequestException(`request body nested deeper than ${MAX_BODY_DEPTH} levels`));
    return;
  }
  if (hasUnstorableString(req.body) || hasUnstorableString(req.query)) {
    next(new BadRequestException('request holds a NUL character or an unpaired surrogate'));
    return;
  }
  next();
}

/**
 * What Node's HTTP parser refuses before any application code runs (a 64 KiB header, too many
 * headers, a malformed request line) is answered as every other refusal is: problem+json, with the
 * status Node itself would have sent (431 for oversized headers, else 400). Without this listener
 * Node answers with an empty body.
 */
export function answerParserErrorsAsProblems(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const title = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
    const body = JSON.stringify({
      type: `https://vigil.dev/problems/${tooLarge ? 'request-header-fields-too-large' : 'bad-request'}`,
      title,
      status,
      detail: tooLarge ? 'request headers too large' : 'malformed HTTP request',
    });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
