// Access and refresh tokens against the real PostgreSQL and Kafka: rotation with reuse detection and
// its grace (a retry gets the same pair: one chain, also for two refreshes at once), logout and bearer-only revocation, forged/expired/alg=none/wrong-key tokens refused
// with TOKEN_VALIDATION_FAILED, and key rotation that logs nobody out.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { JwksVerifier } from '@vigil/auth';
import { base64url, decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT, type KeyLike } from 'jose';
import { KeyStore } from '../../apps/auth-gateway/src/keys/key-store';
import { startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, ipFor, login } from './support/http';

const BOB = { username: 'bob', password: 'Violet-Harbor-Canoe-58' };

describe('auth-gateway: access and refresh tokens', () => {
  let g: Gateway;
  let tap: TopicTap;
  let bobId: string;

  beforeAll(async () => {
    g = await startGateway({
      env: { SIGNING_KEY_PREPUBLISH_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '5' },
    });
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    bobId = await createUser(g, await adminToken(g), BOB);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  // Each call from its own client address: refused tokens from one client are aggregated after the
  // first of a window (issue 14 item 10), and these tests look at each refusal's own event.
  let client = 0;
  const refresh = (token: string) =>
    http(g)
      .post('/api/v1/auth/refresh')
      .set('X-Forwarded-For', ipFor(++client))
      .send({ refreshToken: token });
  const me = (access: string) =>
    http(g)
      .get('/api/v1/auth/me')
      .set('X-Forwarded-For', ipFor(++client))
      .set('Authorization', `Bearer ${access}`);

  it('rotates the refresh token on every use (JSON and OAuth2 form), each new pair working', async () => {
    const first = (await login(g, 'bob', BOB.password)).body;
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect((await me(second.body.access_token)).status).toBe(200);
    const third = await http(g)
      .post('/api/v1/auth/token')
      .type('form')
      .send(`grant_type=refresh_token&refresh_token=${second.body.refresh_token}`);
    expect(third.status).toBe(200);
    const ev = await tap.waitFor(
      'TOKEN_REFRESH',
      (e) => e.attributes.generation === 2 && e.subject?.userId === bobId,
    );
    expect(ev.attributes.familyId).toBe(decodeSid(first.access_token));
  });

  it('reuse of a rotated token revokes the whole family and emits TOKEN_REFRESH_REUSE', async () => {
    const first = (await login(g, 'bob', BOB.password)).body;
    const second = (await refresh(first.refresh_token)).body;
    const third = (await refresh(second.refresh_token)).body;
    // first is two generations old: never a grace retry
    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body.type).toBe('https://vigil.dev/problems/invalid-grant');
    const reuse = await tap.waitFor(
      'TOKEN_REFRESH_REUSE',
      (e) => e.attributes.familyId === decodeSid(first.access_token),
    );
    expect(reuse).toMatchObject({
      outcome: 'denied',
      subject: { userId: bobId },
      attributes: { presentedGeneration: 0, familyRevoked: true },
    });
    // the family is burnt: the current refresh token and the access token of that session stop working
    expect((await refresh(third.refresh_token)).status).toBe(401);
    expect((await me(third.access_token)).status).toBe(401);
    await tap.waitFor(
      'TOKEN_VALIDATION_FAILED',
      (e) => e.attributes.failure === 'revoked' && e.subject?.userId === bobId,
    );
  });

  const chainOf = (sid: string) =>
    g.sql<{ generation: number; n: number }>(
      `SELECT generation, count(*)::int AS n FROM refresh_tokens WHERE session_id = $1 GROUP BY generation ORDER BY generation`,
      [sid],
    );
  /** Moves a token's rotation back in time: as if it were presented after the grace. */
  const ageRotation = (token: string) =>
    g.sql(
      `UPDATE refresh_tokens SET rotated_at = rotated_at - interval '1 minute' WHERE token_hash = sha256(convert_to($1, 'UTF8'))`,
      [token],
    );

  it('seed 000-20: a retry of the previous token within the grace gets the same pair back, not a sibling; the next replay revokes the family', async () => {
    const first = (await login(g, 'bob', BOB.password)).body;
    const sid = decodeSid(first.access_token);
    const tabA = await refresh(first.refresh_token);
    const tabB = await refresh(first.refresh_token); // the response was lost, or a second tab raced: within the grace
    expect(tabA.status).toBe(200);
    expect(tabB.status).toBe(200);
    expect(tabB.body.refresh_token).toBe(tabA.body.refresh_token);
    expect(decodeSid(tabB.body.access_token)).toBe(sid);
    expect((await me(tabB.body.access_token)).status).toBe(200);
    expect(await chainOf(sid)).toEqual([
      { generation: 0, n: 1 },
      { generation: 1, n: 1 },
    ]); // one chain
    const retried = await tap.waitFor('TOKEN_REFRESH', (e) => e.requestId === tabB.headers['x-request-id']);
    expect(retried).toMatchObject({ reason: 'grace_retry', attributes: { familyId: sid, generation: 1 } });
    // the successor was kept sealed, never in clear, and the box is spent now
    const boxes = await g.sql<{ box: Buffer | null }>(
      `SELECT successor_sealed AS box FROM refresh_tokens WHERE session_id = $1`,
      [sid],
    );
    expect(
      boxes.every((r) => r.box === null || !r.box.toString('latin1').includes(tabA.body.refresh_token)),
    ).toBe(true);
    // a thief replaying the first token again: reuse, the family goes, the owner's pair with it
    expect((await refresh(first.refresh_token)).status).toBe(401);
    await tap.waitFor('TOKEN_REFRESH_REUSE', (e) => e.attributes.familyId === sid);
    expect((await refresh(tabA.body.refresh_token)).status).toBe(401);
    expect((await me(tabA.body.access_token)).status).toBe(401);
  });

  it('seed 000-20: two refreshes at once with the same token give one chain (the same pair to both)', async () => {
    const first = (await login(g, 'bob', BOB.password)).body;
    const sid = decodeSid(first.access_token);
    const [x, y] = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect(y.body.refresh_token).toBe(x.body.refresh_token);
    expect(await chainOf(sid)).toEqual([
      { generation: 0, n: 1 },
      { generation: 1, n: 1 },
    ]);
    const next = await refresh(x.body.refresh_token);
    expect(next.status).toBe(200);
    expect(await chainOf(sid)).toEqual([0, 1, 2].map((generation) => ({ generation, n: 1 })));
  });

  it('seed 000-20: a thief replaying the previous token inside the grace gets no chain of its own; its replay after the grace kills the family', async () => {
    const first = (await login(g, 'bob', BOB.password)).body;
    const sid = decodeSid(first.access_token);
    const owner1 = (await refresh(first.refresh_token)).body;
    const thief = (await refresh(first.refresh_token)).body; // inside the grace: the owner's own successor
    expect(thief.refresh_token).toBe(owner1.refresh_token);
    const owner2 = await refresh(owner1.refresh_token); // the owner moves on
    expect(owner2.status).toBe(200);
    await ageRotation(owner1.refresh_token);
    const replay = await refresh(thief.refresh_token); // the thief, later
    expect(replay.status).toBe(401);
    const reuse = await tap.waitFor('TOKEN_REFRESH_REUSE', (e) => e.attributes.familyId === sid);
    expect(reuse).toMatchObject({
      outcome: 'denied',
      subject: { userId: bobId },
      attributes: { presentedGeneration: 1, familyRevoked: true },
    });
    expect((await refresh(owner2.body.refresh_token)).status).toBe(401);
    expect(await chainOf(sid)).toEqual([0, 1, 2].map((generation) => ({ generation, n: 1 })));
  });

  it('seed 000-20: the previous token presented for the first time after the grace is reuse: TOKEN_REFRESH_REUSE, family revoked', async () => {
    const first = (await login(g, 'bob', BOB.password)).body;
    const sid = decodeSid(first.access_token);
    const second = (await refresh(first.refresh_token)).body;
    await ageRotation(first.refresh_token);
    const late = await refresh(first.refresh_token);
    expect(late.status).toBe(401);
    expect(late.body.type).toBe('https://vigil.dev/problems/invalid-grant');
    const reuse = await tap.waitFor('TOKEN_REFRESH_REUSE', (e) => e.attributes.familyId === sid);
    expect(reuse.attributes).toMatchObject({ presentedGeneration: 0, familyRevoked: true });
    expect((await refresh(second.refresh_token)).status).toBe(401);
    expect((await me(second.access_token)).status).toBe(401);
  });

  it('refuses unknown and malformed refresh tokens alike', async () => {
    const a = await refresh('vrt_' + 'A'.repeat(43));
    const b = await refresh('not-a-token');
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body.detail).toBe(b.body.detail);
  });

  it('logout ends the session: AUTH_LOGOUT, then its tokens are refused', async () => {
    const s = (await login(g, 'bob', BOB.password)).body;
    const out = await http(g).post('/api/v1/auth/logout').set('Authorization', `Bearer ${s.access_token}`);
    expect(out.status).toBe(204);
    await tap.waitFor('AUTH_LOGOUT', (e) => e.attributes.sessionId === decodeSid(s.access_token));
    expect((await me(s.access_token)).status).toBe(401);
    expect((await refresh(s.refresh_token)).status).toBe(401);
  });

  it('seed 001-56: POST /api/v1/auth/revoke with only the bearer header revokes that session and its refresh family', async () => {
    const s = (await login(g, 'bob', BOB.password)).body;
    const other = (await login(g, 'bob', BOB.password)).body;
    const res = await http(g).post('/api/v1/auth/revoke').set('Authorization', `Bearer ${s.access_token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 1 });
    const ev = await tap.waitFor('TOKEN_REVOKED', (e) => e.attributes.familyId === decodeSid(s.access_token));
    expect(ev).toMatchObject({
      actor: { userId: bobId },
      attributes: { scope: 'family', trigger: 'user', revokedCount: 1 },
    });
    expect((await refresh(s.refresh_token)).status).toBe(401);
    expect((await me(s.access_token)).status).toBe(401);
    expect((await me(other.access_token)).status).toBe(200); // other sessions live on
    expect((await http(g).post('/api/v1/auth/revoke')).status).toBe(401);
  });

  describe('forged and invalid access tokens', () => {
    let realKey: { kid: string; key: KeyLike | ReturnType<typeof createPrivateKey> };
    const claims = () => ({ roles: ['admin'], sid: '00000000-0000-4000-8000-000000000000' });
    const base = (jwt: SignJWT, o: { iss?: string; aud?: string; exp?: number; nbf?: number } = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return jwt
        .setSubject(bobId)
        .setJti('forged')
        .setIssuedAt(now)
        .setIssuer(o.iss ?? g.config.jwtIssuer)
        .setAudience(o.aud ?? g.config.jwtAudience)
        .setNotBefore(o.nbf ?? now)
        .setExpirationTime(o.exp ?? now + 300);
    };

    beforeAll(async () => {
      const [file] = (await fs.readdir(g.keysDir)).filter((f) => f.endsWith('.json'));
      const raw = JSON.parse(await fs.readFile(path.join(g.keysDir, file), 'utf8'));
      realKey = { kid: raw.kid, key: createPrivateKey(raw.privateKeyPem) };
    });

    const signedWithReal = (o: Parameters<typeof base>[1] = {}) =>
      base(
        new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA', kid: realKey.kid, typ: 'at+jwt' }),
        o,
      ).sign(realKey.key);

    async function expectRejected(token: string, failure: string) {
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      const id = res.headers['x-request-id'];
      const ev = await tap.waitFor('TOKEN_VALIDATION_FAILED', (e) => e.requestId === id);
      expect(ev.attributes.failure).toBe(failure);
      return ev;
    }

    it('refuses alg=none', async () => {
      const none = new UnsecuredJWT(claims())
        .setSubject(bobId)
        .setIssuer(g.config.jwtIssuer)
        .setAudience(g.config.jwtAudience)
        .setExpirationTime('5m')
        .encode();
      await expectRejected(none, 'alg_none');
      const header = base64url.encode(JSON.stringify({ alg: 'none', kid: realKey.kid, typ: 'at+jwt' }));
      await expectRejected(`${header}.${none.split('.')[1]}.`, 'alg_none');
    });

    it('refuses a forged signature: another key under the real kid, and HS256 keyed with the public JWK', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const forged = await base(
        new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA', kid: realKey.kid, typ: 'at+jwt' }),
      ).sign(privateKey);
      await expectRejected(forged, 'bad_signature');
      const jwks = (await http(g).get('/.well-known/jwks.json')).body;
      const hs = await base(
        new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: realKey.kid, typ: 'at+jwt' }),
      ).sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
      await expectRejected(hs, 'bad_signature');
    });

    it('refuses a token signed by a key the gateway never published (wrong key, unknown kid)', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const t = await base(
        new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'attacker-key-1', typ: 'at+jwt' }),
      ).sign(privateKey);
      await expectRejected(t, 'unknown_kid');
    });

    it('refuses expired and not-yet-valid tokens, and the wrong issuer or audience, even when signed with the real key', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await expectRejected(
        await signedWithReal({ exp: now - 120, nbf: now - 900 }),
        'expired',
      );
      expect(expired.subject).toEqual({ userId: bobId });
      expect((await me(await signedWithReal({ exp: now - 120, nbf: now - 900 }))).body.detail).toBe(
        'the access token has expired',
      );
      await expectRejected(await signedWithReal({ nbf: now + 600, exp: now + 900 }), 'not_yet_valid');
      await expectRejected(await signedWithReal({ iss: 'https://evil.example' }), 'bad_issuer');
      await expectRejected(await signedWithReal({ aud: 'some-other-api' }), 'bad_audience');
      await expectRejected('garbage.token.here', 'malformed');
    });

    it('a well-signed token for a session that does not exist is refused as revoked', async () => {
      await expectRejected(await signedWithReal(), 'revoked');
    });
  });

  it('another service verifies gateway tokens from the JWKS URL alone (no shared secret), also after a rotation', async () => {
    await g.app.listen(0, '127.0.0.1');
    const port = (g.app.getHttpServer().address() as AddressInfo).port;
    const verifier = new JwksVerifier({
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      issuer: 'vigil-auth-gateway',
      audience: 'vigil',
      refreshCooldownMs: 0,
    });
    const s = (await login(g, 'bob', BOB.password)).body;
    await expect(verifier.verify(s.access_token)).resolves.toMatchObject({
      sub: bobId,
      roles: ['user'],
      sid: decodeSid(s.access_token),
    });
    await g.app.get(KeyStore).rotate();
    const rotated = (await refresh(s.refresh_token)).body;
    const t = await verifier.verify(rotated.access_token); // unknown kid: the verifier refetches the JWKS
    expect(t.kid).toBe(decodeProtectedHeader(rotated.access_token).kid);
    expect(t.kid).not.toBe(decodeProtectedHeader(s.access_token).kid);
  });

  it('rotates the signing key without logging anyone out; the JWKS keeps the old key', async () => {
    const before = (await login(g, 'bob', BOB.password)).body;
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const newKid = await g.app.get(KeyStore).rotate();
    expect(newKid).toBeDefined();
    expect(newKid).not.toBe(oldKid);
    const after = (await refresh(before.refresh_token)).body;
    expect(decodeProtectedHeader(after.access_token).kid).toBe(newKid);
    expect((await me(before.access_token)).status).toBe(200);
    expect((await me(after.access_token)).status).toBe(200);
    const kids = (await http(g).get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
  });

  it('seed 000-07: no access or refresh token, real or forged, appears in a log line or an event', async () => {
    const haystacks = [...g.rawLogs, ...tap.raw];
    expect(haystacks.length).toBeGreaterThan(20);
    for (const text of haystacks) {
      expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
      expect(text).not.toMatch(/vrt_[\w-]{20,}/);
      expect(text).not.toContain(BOB.password);
    }
  });
});

function decodeSid(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).sid;
}
