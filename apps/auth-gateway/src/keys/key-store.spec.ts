import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import winston from 'winston';
import { JwksVerifier } from '@vigil/auth';
import { KeyStore } from './key-store';

const logger = winston.createLogger({ silent: true });
const MIN = 60_000;

describe('KeyStore (keys on disk)', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-keys-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const store = (alg: 'EdDSA' | 'ES256' = 'EdDSA') =>
    new KeyStore({ dir, alg, accessTtlMs: 10 * MIN, prepublishMs: MIN, rotationMs: 30 * 1440 * MIN, logger });

  it('generates the first key at start, 0600, and publishes only its public half', async () => {
    const ks = store();
    await ks.init();
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect((await fs.stat(path.join(dir, files[0]))).mode & 0o777).toBe(0o600);
    const jwks = ks.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      use: 'sig',
      kid: ks.signingKey().kid,
    });
    expect(JSON.stringify(jwks)).not.toMatch(/"d"|PRIVATE/);
  });

  it('a second instance on the same directory uses the same key', async () => {
    const a = store();
    await a.init();
    const b = store();
    await b.init();
    expect(b.signingKey().kid).toBe(a.signingKey().kid);
  });

  it('rotates without logging anyone out: tokens of the old key verify until they expire', async () => {
    const ks = store('ES256');
    const t0 = Date.now();
    await ks.init();
    const oldKey = ks.signingKey(t0);
    const token = await new SignJWT({ roles: ['user'] })
      .setProtectedHeader({ alg: oldKey.alg, kid: oldKey.kid, typ: 'at+jwt' })
      .setSubject('u-1')
      .setJti('j')
      .setIssuedAt()
      .setIssuer('iss')
      .setAudience('aud')
      .setExpirationTime('10m')
      .sign(oldKey.privateKey);
    const newKid = await ks.rotate(t0);
    expect(newKid).toBeDefined();
    expect(ks.signingKey(t0).kid).toBe(oldKey.kid); // pre-published, not yet signing
    expect(ks.signingKey(t0 + 2 * MIN).kid).toBe(newKid);
    const verifier = new JwksVerifier({
      loadJwks: async () => ks.jwks(t0 + 2 * MIN),
      issuer: 'iss',
      audience: 'aud',
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ kid: oldKey.kid });
    expect(ks.jwks(t0 + MIN + 12 * MIN).keys.map((k) => k.kid)).toEqual([newKid]);
    await ks.maintain(t0 + MIN + 12 * MIN);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.json'))).toEqual([`${newKid}.json`]);
  });

  it('keeps ES256 keys beside the EdDSA default: both published, each signing for its own algorithm, rotated together', async () => {
    const ks = new KeyStore({
      dir,
      alg: 'EdDSA',
      additionalAlgs: ['ES256'],
      accessTtlMs: 10 * MIN,
      prepublishMs: MIN,
      rotationMs: 30 * 1440 * MIN,
      logger,
    });
    const t0 = Date.now();
    await ks.init();
    expect(
      ks
        .jwks(t0)
        .keys.map((k) => k.alg)
        .sort(),
    ).toEqual(['ES256', 'EdDSA']);
    expect(ks.signingKey(t0).alg).toBe('EdDSA');
    const es = ks.signingKey(t0, 'ES256');
    expect(es.alg).toBe('ES256');
    const token = await new SignJWT({ roles: ['user'] })
      .setProtectedHeader({ alg: es.alg, kid: es.kid, typ: 'at+jwt' })
      .setSubject('u-1')
      .setJti('j')
      .setIssuedAt()
      .setIssuer('iss')
      .setAudience('aud')
      .setExpirationTime('10m')
      .sign(es.privateKey);
    const verifier = new JwksVerifier({ loadJwks: async () => ks.jwks(), issuer: 'iss', audience: 'aud' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ kid: es.kid });
    // An operator's rotation makes a key per algorithm; each signs for its own lane after pre-publication.
    await ks.rotate(t0);
    expect(
      ks
        .describe(t0)
        .filter((k) => k.state === 'pending')
        .map((k) => k.alg)
        .sort(),
    ).toEqual(['ES256', 'EdDSA']);
    expect(ks.signingKey(t0 + 2 * MIN, 'ES256').alg).toBe('ES256');
    expect(ks.signingKey(t0 + 2 * MIN, 'ES256').kid).not.toBe(es.kid);
    expect(ks.signingKey(t0 + 2 * MIN).alg).toBe('EdDSA');
    // Only configured algorithms sign.
    const only = store('EdDSA');
    await only.init();
    expect(() => only.signingKey(Date.now(), 'ES256')).toThrow(/no ES256 keys/);
  });

  it('refuses to start with a key file readable by others', async () => {
    await store().init();
    const [file] = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
    await fs.chmod(path.join(dir, file), 0o644);
    await expect(store().init()).rejects.toThrow(/readable by group or others/);
  });
});
