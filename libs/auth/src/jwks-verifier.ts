import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { TokenValidationFailure } from '@vigil/contracts';
import {
  ACCEPTED_ALGORITHMS,
  ACCESS_TOKEN_TYP,
  KeySetUnavailableError,
  TokenVerificationError,
  type TokenVerifier,
  type VerifiedToken,
} from './verified-token';

export interface JwksVerifierOptions {
  /** Where the issuer publishes its keys (the gateway's `/.well-known/jwks.json`). */
  jwksUrl?: string;
  /** A fixed key set (tests, or keys shipped with the deployment). */
  jwks?: JSONWebKeySet;
  /** Any other source of the key set (the gateway's own key store); refreshed like a URL. */
  loadJwks?: () => Promise<JSONWebKeySet>;
  issuer: string;
  audience: string;
  /** Allowed clock skew for exp/nbf/iat. Default 10 s. */
  clockToleranceSec?: number;
  /** Least time between two refetches caused by an unknown `kid` (so junk kids cannot hammer the issuer). Default 30 s. */
  refreshCooldownMs?: number;
  /** Refetch once the cached set is this old, even without an unknown kid. Default 5 min. */
  cacheMaxAgeMs?: number;
  fetchTimeoutMs?: number;
  /** Expected `typ` header; `null` to accept any. Default `at+jwt`. */
  typ?: string | null;
  /** Clock for the claims checks (tests). */
  now?: () => Date;
}

const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies Vigil access tokens against the issuer's published keys, so no service shares a secret
 * with the gateway. EdDSA and ES256 only; `alg: none` and HMAC are refused before any key is looked
 * up. The key set is cached and refetched when a token names an unknown `kid` (at most once per
 * cooldown) or when it grows old; a stale set keeps serving while the issuer is unreachable.
 */
export class JwksVerifier implements TokenVerifier {
  private readonly keys: CachedKeySet;

  constructor(private readonly opts: JwksVerifierOptions) {
    const sources = [opts.jwksUrl, opts.jwks, opts.loadJwks].filter((s) => s !== undefined).length;
    if (sources !== 1) throw new Error('JwksVerifier needs exactly one of jwksUrl, jwks or loadJwks');
    if (!opts.issuer || !opts.audience) throw new Error('JwksVerifier needs issuer and audience');
    const load = opts.jwks
      ? undefined
      : (opts.loadJwks ?? (() => fetchJwks(opts.jwksUrl!, opts.fetchTimeoutMs ?? 5000)));
    this.keys = new CachedKeySet(
      opts.jwks,
      load,
      opts.refreshCooldownMs ?? 30_000,
      opts.cacheMaxAgeMs ?? 300_000,
    );
  }

  /** Forgets the cooldown and the cached set's age: the next verification refetches (after a known rotation or withdrawal). */
  invalidate(): void {
    this.keys.invalidate();
  }

  /** @throws TokenVerificationError (the token's fault) or KeySetUnavailableError (the issuer's). */
  async verify(token: string): Promise<VerifiedToken> {
    const kid = checkHeader(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys.getKey, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: [...ACCEPTED_ALGORITHMS],
        clockTolerance: this.opts.clockToleranceSec ?? 10,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        ...(this.opts.typ === null ? {} : { typ: this.opts.typ ?? ACCESS_TOKEN_TYP }),
        ...(this.opts.now ? { currentDate: this.opts.now() } : {}),
      }));
    } catch (err) {
      throw translate(err, kid);
    }
    return toVerifiedToken(payload, kid);
  }
}

/** Rejects what must never reach a key lookup: garbage, `alg: none`, symmetric or unknown algorithms. */
function checkHeader(token: string): string {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) {
    throw new TokenVerificationError(TokenValidationFailure.MALFORMED);
  }
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new TokenVerificationError(TokenValidationFailure.MALFORMED);
  }
  const kid =
    typeof header.kid === 'string' && header.kid.length > 0 && header.kid.length <= 128
      ? header.kid
      : undefined;
  if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') {
    throw new TokenVerificationError(TokenValidationFailure.ALG_NONE, kid);
  }
  // HS256 with the public key as the secret is the classic confusion attack: a forgery.
  if (!(ACCEPTED_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new TokenVerificationError(TokenValidationFailure.BAD_SIGNATURE, kid);
  }
  if (kid === undefined) throw new TokenVerificationError(TokenValidationFailure.UNKNOWN_KID);
  return kid;
}

function translate(err: unknown, kid: string): Error {
  if (err instanceof TokenVerificationError || err instanceof KeySetUnavailableError) return err;
  const F = TokenValidationFailure;
  // Claims are checked only after the signature, so their subject can be trusted.
  const sub = (p?: JWTPayload) => (typeof p?.sub === 'string' && p.sub.length <= 64 ? p.sub : undefined);
  if (err instanceof errors.JWTExpired) return new TokenVerificationError(F.EXPIRED, kid, sub(err.payload));
  if (err instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, TokenValidationFailure> = {
      nbf: F.NOT_YET_VALID,
      iat: F.NOT_YET_VALID,
      iss: F.BAD_ISSUER,
      aud: F.BAD_AUDIENCE,
    };
    return new TokenVerificationError(byClaim[err.claim] ?? F.MALFORMED, kid, sub(err.payload));
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) {
    return new TokenVerificationError(F.BAD_SIGNATURE, kid);
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenVerificationError(F.UNKNOWN_KID, kid);
  }
  if (err instanceof errors.JOSEError) return new TokenVerificationError(F.MALFORMED, kid);
  return err instanceof Error ? err : new Error(String(err));
}

function toVerifiedToken(p: JWTPayload, kid: string): VerifiedToken {
  const roles = (p as { roles?: unknown }).roles;
  const sid = (p as { sid?: unknown }).sid;
  const ok =
    typeof p.sub === 'string' &&
    p.sub.length > 0 &&
    typeof p.jti === 'string' &&
    p.jti.length > 0 &&
    typeof p.exp === 'number' &&
    typeof p.iat === 'number' &&
    Array.isArray(roles) &&
    roles.every((r) => typeof r === 'string') &&
    (sid === undefined || typeof sid === 'string');
  if (!ok) throw new TokenVerificationError(TokenValidationFailure.MALFORMED, kid);
  return {
    sub: p.sub!,
    roles: roles as string[],
    jti: p.jti!,
    ...(sid ? { sid: sid as string } : {}),
    exp: p.exp!,
    iat: p.iat!,
    kid,
  };
}

async function fetchJwks(url: string, timeoutMs: number): Promise<JSONWebKeySet> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    throw new KeySetUnavailableError(err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) throw new KeySetUnavailableError(`HTTP ${res.status} from the JWKS endpoint`);
  const body = (await res.json().catch(() => undefined)) as JSONWebKeySet | undefined;
  if (!body || !Array.isArray(body.keys))
    throw new KeySetUnavailableError('response is not a JSON Web Key Set');
  return body;
}

/** The key set with refresh-on-unknown-kid (rate limited) and refresh-when-old. */
class CachedKeySet {
  private resolver?: JWTVerifyGetKey;
  private fetchedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;

  constructor(
    fixed: JSONWebKeySet | undefined,
    private readonly load: (() => Promise<JSONWebKeySet>) | undefined,
    private readonly cooldownMs: number,
    private readonly maxAgeMs: number,
  ) {
    if (fixed) this.resolver = createLocalJWKSet(publicOnly(fixed));
  }

  invalidate(): void {
    this.lastAttempt = Number.NEGATIVE_INFINITY;
    this.fetchedAt = 0; // the cached set is stale too: a key withdrawn from it stops verifying at once
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const stale =
      Date.now() - this.fetchedAt > this.maxAgeMs && Date.now() - this.lastAttempt >= this.cooldownMs;
    if (this.load && (!this.resolver || stale)) {
      await this.refresh().catch((err) => {
        if (!this.resolver) throw err; // nothing cached: the caller gets a 503
      });
    }
    try {
      return await this.resolver!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !this.load) throw err;
      if (Date.now() - this.lastAttempt < this.cooldownMs) throw err;
      await this.refresh().catch(() => undefined);
      return this.resolver!(header, token);
    }
  };

  /** One fetch at a time; concurrent callers share it. */
  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      this.lastAttempt = Date.now();
      try {
        const jwks = await this.load!();
        this.resolver = createLocalJWKSet(publicOnly(jwks));
        this.fetchedAt = Date.now();
      } catch (err) {
        throw err instanceof KeySetUnavailableError
          ? err
          : new KeySetUnavailableError(err instanceof Error ? err.message : String(err));
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

/** A verifier has no business with private key material, even if a misconfigured issuer publishes it. */
function publicOnly(jwks: JSONWebKeySet): JSONWebKeySet {
  const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
  return { keys: jwks.keys.filter((k) => !PRIVATE.some((f) => f in k)) };
}
