import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Module, Post, type DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { IsOptional, IsString } from 'class-validator';
import request from 'supertest';
import winston from 'winston';
import { createServiceApp } from './bootstrap';
import { depthExceeds, hasUnstorableString, MAX_BODY_DEPTH } from './hostile-input';
import type { BaseServiceConfig } from './service-config';

class NoteDto {
  @IsOptional()
  @IsString()
  note?: string;
}

@Controller()
class NotesController {
  @Post('notes')
  create(@Body() dto: NoteDto): { note?: string } {
    return { note: dto.note };
  }
}

@Module({ controllers: [NotesController] })
class NotesModule {}

describe('depthExceeds', () => {
  it('counts nesting without recursion, objects and arrays alike', () => {
    expect(depthExceeds({ a: 1 }, 1)).toBe(false);
    expect(depthExceeds({ a: { b: 1 } }, 1)).toBe(true);
    expect(depthExceeds([[[]]], 3)).toBe(false);
    expect(depthExceeds([[[[]]]], 3)).toBe(true);
    expect(depthExceeds('text', 0)).toBe(false);
    expect(depthExceeds(JSON.parse('['.repeat(100000) + ']'.repeat(100000)), MAX_BODY_DEPTH)).toBe(true);
  });
});

describe('hasUnstorableString', () => {
  it('finds a NUL or an unpaired surrogate in any key or value, and nothing else', () => {
    expect(hasUnstorableString({ a: ['ok', { b: 'emoji \ud83d\ude00 and 中文' }] })).toBe(false);
    expect(hasUnstorableString({ a: ['ok', { b: 'nul\u0000' }] })).toBe(true);
    expect(hasUnstorableString({ 'k\u0000': 1 })).toBe(true);
    expect(hasUnstorableString('\ud800')).toBe(true);
    expect(hasUnstorableString('lone-low\udc00')).toBe(true);
    expect(hasUnstorableString('x\ud83d')).toBe(true);
    expect(hasUnstorableString(undefined)).toBe(false);
  });
});

describe('createServiceApp against hostile input (issue 18 item 3)', () => {
  let app: NestExpressApplication;
  let port: number;

  beforeAll(async () => {
    const logger = winston.createLogger({ silent: true });
    app = await createServiceApp(
      { module: (): DynamicModule => ({ module: NotesModule }), bodyLimit: '16kb' },
      {} as BaseServiceConfig,
      logger,
    );
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  it.each([
    ['an array 2,000 deep (6 KiB, under the body limit)', '['.repeat(2000) + ']'.repeat(2000)],
    ['an object 1,000 deep', '{"a":'.repeat(1000) + '1' + '}'.repeat(1000)],
  ])(
    'refuses %s with 400 problem+json, where the validation pipe overflowed the stack (500)',
    async (_n, body) => {
      const res = await request(app.getHttpServer())
        .post('/notes')
        .set('content-type', 'application/json')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 400,
        detail: `request body nested deeper than ${MAX_BODY_DEPTH} levels`,
      });
    },
  );

  it.each([
    ['a NUL in a body field', { note: 'nul\u0000inside' }],
    ['a lone surrogate in a body field', { note: 'lone-low\udc00' }],
  ])(
    'refuses %s with 400 problem+json before the handler (PostgreSQL could not store it: 500)',
    async (_n, body) => {
      const res = await request(app.getHttpServer()).post('/notes').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toBe('request holds a NUL character or an unpaired surrogate');
    },
  );

  it('refuses a NUL in the query string too', async () => {
    const res = await request(app.getHttpServer()).post('/notes?q=%00').send({ note: 'a' });
    expect(res.status).toBe(400);
  });

  it('still accepts an ordinary body', async () => {
    await request(app.getHttpServer()).post('/notes').send({ note: 'hello' }).expect(201, { note: 'hello' });
  });

  it("answers a 64 KiB header, refused by Node's HTTP parser, with 431 problem+json instead of an empty body", async () => {
    const res = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const r = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/notes',
          method: 'POST',
          maxHeaderSize: 256 * 1024,
          headers: { 'x-big': 'h'.repeat(64 * 1024) },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
          );
        },
      );
      r.on('error', reject);
      r.end();
    });
    expect(res.status).toBe(431);
    expect(res.type).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, title: 'Request Header Fields Too Large' });
    // And the server goes on serving.
    await request(app.getHttpServer()).post('/notes').send({ note: 'after' }).expect(201);
  });
});
