import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_TYP } from '@vigil/auth';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { KeyStore } from './key-store';

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
}

/** Signs short-lived access tokens (RFC 9068 `at+jwt`) with the store's current key, `kid` in the header. */
@Injectable()
export class AccessTokenSigner {
  constructor(
    private readonly keys: KeyStore,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  async sign(claims: { sub: string; roles: string[]; sid: string }): Promise<IssuedAccessToken> {
    const key = this.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const ttl = this.config.accessTokenTtlSeconds;
    const token = await new SignJWT({ roles: claims.roles, sid: claims.sid })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setSubject(claims.sub)
      .setJti(jti)
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .sign(key.privateKey);
    return { token, jti, expiresIn: ttl };
  }
}
