import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type KeyLike } from 'jose';
import { JwksVerifier } from './jwks-verifier';
import { KeySetUnavailableError, TokenVerificationError } from './verified-token';

const ISS = 'https://auth.vigil.test';
const AUD = 'vigil';

interface TestKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: KeyLike;
  jwk: JWK;
}

async function makeKey(kid: string, alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(
    alg,
    alg === 'EdDSA' ? { crv: 'Ed25519' } : undefined,
  );
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(
  key: TestKey,
  claims: Record<string, unknown> = {},
  opts: {
    exp?: number | string;
    nbf?: number | string;
    iss?: string;
    aud?: string;
    typ?: string;
    kid?: string;
  } = {},
): Promise<string> {
  const jwt = new SignJWT({ roles: ['user'], sid: 'sess-1', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: opts.kid ?? key.kid, typ: opts.typ ?? 'at+jwt' })
    .setSubject('u-1')
    .setJti('jti-1')
    .setIssuedAt()
    .setIssuer(opts.iss ?? ISS)
    .setAudience(opts.aud ?? AUD)
    .setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenVerificationError) return err.failure;
    throw err;
  }
  throw new Error('token was accepted');
}

describe('JwksVerifier with a fixed key set', () => {
  let ed: TestKey;
  let es: TestKey;
  let stranger: TestKey;
  let verifier: JwksVerifier;

  beforeAll(async () => {
    ed = await makeKey('ed-1');
    es = await makeKey('es-1', 'ES256');
    stranger = await makeKey('ed-1'); // same kid, another key: a forgery
    verifier = new JwksVerifier({ jwks: { keys: [ed.jwk, es.jwk] }, issuer: ISS, audience: AUD });
  });

  it('accepts EdDSA and ES256 tokens and returns the principal', async () => {
    const t = await verifier.verify(await sign(ed, { roles: ['auditor', 'admin'] }));
    expect(t).toMatchObject({
      sub: 'u-1',
      roles: ['auditor', 'admin'],
      jti: 'jti-1',
      sid: 'sess-1',
      kid: 'ed-1',
    });
    expect(t.exp - t.iat).toBe(300);
    expect((await verifier.verify(await sign(es))).kid).toBe('es-1');
  });

  it('refuses expired tokens (keeping the trustworthy subject) and not-yet-valid ones', async () => {
    const expired = await sign(ed, {}, { exp: Math.floor(Date.now() / 1000) - 60 });
    const err = await verifier.verify(expired).catch((e) => e);
    expect(err).toBeInstanceOf(TokenVerificationError);
    expect(err).toMatchObject({ failure: 'expired', kid: 'ed-1', subject: 'u-1' });
    expect(
      await failureOf(verifier.verify(await sign(ed, {}, { nbf: Math.floor(Date.now() / 1000) + 600 }))),
    ).toBe('not_yet_valid');
  });

  it('tolerates a little clock skew', async () => {
    const justExpired = await sign(ed, {}, { exp: Math.floor(Date.now() / 1000) - 3 });
    await expect(verifier.verify(justExpired)).resolves.toMatchObject({ sub: 'u-1' });
  });

  it('refuses the wrong issuer or audience', async () => {
    expect(await failureOf(verifier.verify(await sign(ed, {}, { iss: 'https://evil.example' })))).toBe(
      'bad_issuer',
    );
    expect(await failureOf(verifier.verify(await sign(ed, {}, { aud: 'other-app' })))).toBe('bad_audience');
  });

  it('refuses alg=none before looking at any key', async () => {
    const none = new UnsecuredJWT({ sub: 'u-1', roles: ['admin'], jti: 'x' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    expect(await failureOf(verifier.verify(none))).toBe('alg_none');
    const header = base64url.encode(JSON.stringify({ alg: 'NONE', kid: 'ed-1' }));
    expect(await failureOf(verifier.verify(`${header}.${none.split('.')[1]}.`))).toBe('alg_none');
  });

  it('refuses HS256 signed with the public key (algorithm confusion) and a foreign key under a known kid', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(ed.jwk));
    const hs = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'ed-1', typ: 'at+jwt' })
      .setSubject('u-1')
      .setJti('j')
      .setIssuedAt()
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('5m')
      .sign(secret);
    expect(await failureOf(verifier.verify(hs))).toBe('bad_signature');
    expect(await failureOf(verifier.verify(await sign(stranger)))).toBe('bad_signature');
  });

  it('refuses an unknown or missing kid', async () => {
    expect(await failureOf(verifier.verify(await sign(ed, {}, { kid: 'nope' })))).toBe('unknown_kid');
    const noKid = await new SignJWT({ roles: [] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .setSubject('u')
      .setJti('j')
      .setIssuedAt()
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('5m')
      .sign(ed.privateKey);
    expect(await failureOf(verifier.verify(noKid))).toBe('unknown_kid');
  });

  it('calls garbage, other JWT types and tokens without roles malformed', async () => {
    for (const junk of ['', 'abc', 'a.b.c', 'x'.repeat(9000), `${'e'.repeat(10)}.e30.`]) {
      expect(await failureOf(verifier.verify(junk))).toBe('malformed');
    }
    expect(await failureOf(verifier.verify(await sign(ed, {}, { typ: 'JWT' })))).toBe('malformed');
    expect(await failureOf(verifier.verify(await sign(ed, { roles: 'admin' })))).toBe('malformed');
  });

  it('needs exactly one key source', () => {
    expect(() => new JwksVerifier({ issuer: ISS, audience: AUD })).toThrow(/exactly one/);
    expect(
      () => new JwksVerifier({ jwks: { keys: [] }, jwksUrl: 'http://x', issuer: ISS, audience: AUD }),
    ).toThrow(/exactly one/);
  });
});

describe('JwksVerifier with a JWKS URL', () => {
  let server: Server;
  let url: string;
  let served: JWK[] = [];
  let fetches = 0;
  let down = false;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      if (down) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    fetches = 0;
    down = false;
  });

  it('fetches once, caches, and refetches on a new kid after a rotation (rate limited)', async () => {
    const k1 = await makeKey('k1');
    const k2 = await makeKey('k2');
    served = [k1.jwk];
    const v = new JwksVerifier({ jwksUrl: url, issuer: ISS, audience: AUD, refreshCooldownMs: 60_000 });
    await v.verify(await sign(k1));
    await v.verify(await sign(k1));
    expect(fetches).toBe(1);

    served = [k1.jwk, k2.jwk];
    // Within the cooldown an unknown kid does not refetch: junk kids cannot make us hammer the issuer.
    expect(await failureOf(v.verify(await sign(k2)))).toBe('unknown_kid');
    expect(fetches).toBe(1);
    v.invalidate();
    await expect(v.verify(await sign(k2))).resolves.toMatchObject({ kid: 'k2' });
    expect(fetches).toBe(2);
    expect(await failureOf(v.verify(await sign(k2, {}, { kid: 'junk' })))).toBe('unknown_kid');
    expect(fetches).toBe(2);
  });

  it('keeps serving a cached set while the issuer is down, and says unavailable when it has none', async () => {
    const k = await makeKey('k3');
    served = [k.jwk];
    const v = new JwksVerifier({
      jwksUrl: url,
      issuer: ISS,
      audience: AUD,
      cacheMaxAgeMs: 0,
      refreshCooldownMs: 0,
    });
    await v.verify(await sign(k));
    down = true;
    await expect(v.verify(await sign(k))).resolves.toMatchObject({ kid: 'k3' });

    const cold = new JwksVerifier({ jwksUrl: url, issuer: ISS, audience: AUD });
    await expect(cold.verify(await sign(k))).rejects.toBeInstanceOf(KeySetUnavailableError);
  });

  it('ignores private key material a misconfigured issuer might publish', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const priv = { ...(await exportJWK(privateKey)), kid: 'leaky', alg: 'EdDSA' };
    const leaky: TestKey = { kid: 'leaky', alg: 'EdDSA', privateKey, jwk: priv };
    served = [priv];
    const v = new JwksVerifier({ jwksUrl: url, issuer: ISS, audience: AUD });
    expect(await failureOf(v.verify(await sign(leaky)))).toBe('unknown_kid');
  });
});
