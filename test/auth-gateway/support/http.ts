import request from 'supertest';
import type { Gateway } from './gateway';
import { ADMIN } from './gateway';

export const http = (g: Gateway) => request(g.app.getHttpServer());

/** A test client address (the gateway trusts X-Forwarded-For from loopback, as behind an ingress). */
export function ipFor(n: number): string {
  return `198.51.100.${(n % 250) + 1}`;
}

export async function login(g: Gateway, username: string, password: string, ip = '203.0.113.10') {
  return http(g).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ username, password });
}

export async function adminToken(g: Gateway): Promise<string> {
  const res = await login(g, ADMIN.username, ADMIN.password, '203.0.113.1');
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

/** Creates a user through the admin API and returns its id. */
export async function createUser(
  g: Gateway,
  admin: string,
  user: { username: string; email?: string; password: string; roles?: string[] },
): Promise<string> {
  const res = await http(g)
    .post('/api/v1/admin/users')
    .set('Authorization', `Bearer ${admin}`)
    .send({ email: `${user.username}@vigil.test`, ...user });
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** A problem body without what legitimately differs between two requests. */
export function sameShape(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _r, ...rest } = body;
  return rest;
}
