/*
 * Which signing keys to use, publish and delete: pure rules over the keys' dates. A new key is
 * published before it signs (so verifiers' cached key sets learn it first), and an old key stays in
 * the JWKS until every token it signed has expired, so a rotation logs nobody out.
 */

export interface KeyMeta {
  kid: string;
  createdAt: number;
  /** From this instant the key signs new tokens (creation + pre-publication). */
  activatesAt: number;
}

export interface KeyPlanOptions {
  accessTtlMs: number;
  clockSkewMs: number;
  /** Rotate when the newest key is this old; 0 never rotates automatically. */
  rotationMs: number;
}

export interface KeyPlan {
  signing?: string;
  /** Keys in the JWKS: the signing key, keys not yet active, and retired keys whose tokens may still be live. */
  published: string[];
  /** Retired keys no live token can name any more. */
  prunable: string[];
  rotationDue: boolean;
}

export function planKeys(keys: KeyMeta[], now: number, opts: KeyPlanOptions): KeyPlan {
  const ordered = [...keys].sort(
    (a, b) => a.activatesAt - b.activatesAt || a.createdAt - b.createdAt || a.kid.localeCompare(b.kid),
  );
  const active = ordered.filter((k) => k.activatesAt <= now);
  const pending = ordered.filter((k) => k.activatesAt > now);
  const signing = active.at(-1) ?? pending[0];
  const published = new Set<string>(pending.map((k) => k.kid));
  if (signing) published.add(signing.kid);
  active.forEach((k, i) => {
    const successor = active[i + 1];
    if (successor && successor.activatesAt + opts.accessTtlMs + opts.clockSkewMs > now) published.add(k.kid);
  });
  const newest = ordered.reduce<KeyMeta | undefined>(
    (n, k) => (!n || k.createdAt > n.createdAt ? k : n),
    undefined,
  );
  return {
    signing: signing?.kid,
    published: ordered.filter((k) => published.has(k.kid)).map((k) => k.kid),
    prunable: ordered.filter((k) => !published.has(k.kid)).map((k) => k.kid),
    rotationDue: newest === undefined || (opts.rotationMs > 0 && now - newest.createdAt >= opts.rotationMs),
  };
}
