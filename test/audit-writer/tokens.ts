import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';

/**
 * A key pair and a JWKS endpoint on 127.0.0.1 standing in for the gateway's, so the audit API's
 * token checks run for real (signature, kid, issuer, audience, expiry) without booting the gateway.
 */
export async function tokenIssuer(issuer = 'vigil-auth-gateway', audience = 'vigil') {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sign = (claims: {
    sub: string;
    roles: string[];
    expiresIn?: string | number;
    key?: KeyLike;
    kid?: string;
    iss?: string;
  }) =>
    new SignJWT({ roles: claims.roles })
      .setProtectedHeader({ alg: 'EdDSA', kid: claims.kid ?? kid, typ: 'at+jwt' })
      .setSubject(claims.sub)
      .setJti(randomUUID())
      .setIssuedAt(
        typeof claims.expiresIn === 'number' && claims.expiresIn < 0
          ? Math.floor(Date.now() / 1000) - 3600
          : undefined,
      )
      .setIssuer(claims.iss ?? issuer)
      .setAudience(audience)
      .setExpirationTime(
        typeof claims.expiresIn === 'number'
          ? Math.floor(Date.now() / 1000) + claims.expiresIn
          : (claims.expiresIn ?? '5m'),
      )
      .sign(claims.key ?? privateKey);
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    sign,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
