import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK } from 'jose';
import type { Logger } from 'winston';
import { planKeys, type KeyMeta, type KeyPlan } from './key-rotation';

export type SigningAlg = 'EdDSA' | 'ES256';

export interface KeyStoreOptions {
  dir: string;
  /** The default signing algorithm: tokens are signed with it unless a client asks for another. */
  alg: SigningAlg;
  /**
   * Further algorithms whose keys are made, rotated and published beside the default one (ES256 for
   * libraries without EdDSA): each is a lane of its own with its own signing key.
   */
  additionalAlgs?: SigningAlg[];
  accessTtlMs: number;
  prepublishMs: number;
  rotationMs: number;
  clockSkewMs?: number;
  logger: Logger;
}

interface LoadedKey extends KeyMeta {
  alg: SigningAlg;
  privateKey: KeyObject;
  publicJwk: JWK;
}

interface KeyFile {
  kid: string;
  alg: SigningAlg;
  createdAt: string;
  activatesAt: string;
  privateKeyPem: string;
}

/** A key as `GET /api/v1/admin/keys` shows it. */
export interface KeyDescription {
  kid: string;
  alg: SigningAlg;
  /** signing: signs new tokens; pending: published, signs later; retiring: published until its tokens expire; expired: about to be deleted. */
  state: 'signing' | 'pending' | 'retiring' | 'expired';
  createdAt: string;
  activatesAt: string;
  ageDays: number;
  published: boolean;
}

const LOCK = '.rotate.lock';
const STALE_LOCK_MS = 60_000;

/**
 * The gateway's signing keys, one JSON file per key in a directory (mode 0700, files 0600; shared
 * by the instances, e.g. a Secret or volume), never in the database or a log line. The kid is the
 * key's RFC 7638 thumbprint. Every instance rereads the directory, so a rotation made by one is
 * picked up by all; file creation under an exclusive lock keeps two instances from rotating at once.
 */
export class KeyStore {
  private keys: LoadedKey[] = [];
  /** One rotation plan per lane (algorithm). */
  private plans = new Map<SigningAlg, KeyPlan>();

  private readonly changeListeners: Array<() => void> = [];

  constructor(private readonly opts: KeyStoreOptions) {}

  /** Called whenever a reload finds a different set of keys (a rotation here or by another instance). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private get planOptions() {
    return {
      accessTtlMs: this.opts.accessTtlMs,
      clockSkewMs: this.opts.clockSkewMs ?? 60_000,
      rotationMs: this.opts.rotationMs,
    };
  }

  /** The algorithms keys are kept for: the default first. */
  get algs(): SigningAlg[] {
    return [this.opts.alg, ...(this.opts.additionalAlgs ?? []).filter((a) => a !== this.opts.alg)];
  }

  /**
   * The lane a key is planned in: its algorithm's when that is configured, else the default lane
   * (a key of an algorithm no longer configured retires there, as before a switch of SIGNING_ALG).
   */
  private laneOf(key: { alg: SigningAlg }): SigningAlg {
    return this.algs.includes(key.alg) ? key.alg : this.opts.alg;
  }

  private planAll(now: number): Map<SigningAlg, KeyPlan> {
    const plans = new Map<SigningAlg, KeyPlan>();
    for (const lane of this.algs) {
      const inLane = this.keys.filter((k) => this.laneOf(k) === lane);
      const plan = planKeys(inLane, now, this.planOptions);
      // A lane whose newest key is of another algorithm (SIGNING_ALG changed) gets a key of its own.
      const newest = inLane.reduce<LoadedKey | undefined>(
        (n, k) => (!n || k.createdAt > n.createdAt ? k : n),
        undefined,
      );
      plans.set(lane, {
        ...plan,
        rotationDue: plan.rotationDue || (newest !== undefined && newest.alg !== lane),
      });
    }
    return plans;
  }

  /** Loads the keys, generating the first one per algorithm (active at once) when there is none. */
  async init(): Promise<void> {
    await fs.mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await this.maintain();
    for (const alg of this.algs)
      if (!this.plans.get(alg)?.signing)
        throw new Error(`no ${alg} signing key available in ${this.opts.dir}`);
  }

  /** Rereads the directory; rotates each algorithm's keys when due; deletes keys no live token can name. */
  async maintain(now = Date.now()): Promise<void> {
    await this.reload(now);
    const due = this.algs.filter((alg) => this.plans.get(alg)?.rotationDue);
    if (due.length) await this.rotate(now, { onlyIfDue: true, algs: due });
    const prunable = [...this.plans.values()].flatMap((p) => p.prunable);
    for (const kid of prunable) {
      await fs.rm(this.fileOf(kid), { force: true });
      this.opts.logger.info('retired signing key deleted', { kid });
    }
    if (prunable.length) await this.reload(now);
  }

  /**
   * Generates a new key. It signs after the pre-publication delay, or at once when there is no key
   * yet or `immediate` (an operator's rotation after an exposure: seed 000-42). `retirePrevious`
   * deletes every other key, so tokens they signed stop verifying at once (instead of at expiry).
   * Every configured algorithm gets a new key unless `algs` names some; the answer is the new key of
   * the default algorithm (or of the first one rotated).
   */
  async rotate(
    now = Date.now(),
    opts: { onlyIfDue?: boolean; immediate?: boolean; retirePrevious?: boolean; algs?: SigningAlg[] } = {},
  ): Promise<string | undefined> {
    const lock = path.join(this.opts.dir, LOCK);
    if (!(await this.acquire(lock, now))) return undefined; // another instance is rotating
    try {
      await this.reload(now);
      const lanes = (opts.algs ?? this.algs).filter(
        (alg) => this.algs.includes(alg) && (!opts.onlyIfDue || this.plans.get(alg)?.rotationDue),
      );
      if (lanes.length === 0) return undefined;
      const previous = [...this.keys];
      const made: KeyFile[] = [];
      for (const lane of lanes) {
        const immediate = opts.immediate === true || this.plans.get(lane)?.signing === undefined;
        const file = await this.generate(now, immediate ? now : now + this.opts.prepublishMs, lane);
        made.push(file);
        this.opts.logger.info('signing key generated', {
          kid: file.kid,
          alg: file.alg,
          activatesAt: file.activatesAt,
        });
      }
      if (opts.retirePrevious) {
        for (const key of previous) {
          await fs.rm(this.fileOf(key.kid), { force: true });
          this.opts.logger.warn('signing key retired at once by an operator', { kid: key.kid });
        }
      }
      await this.reload(now);
      return (made.find((f) => f.alg === this.opts.alg) ?? made[0]).kid;
    } finally {
      await fs.rm(lock, { force: true });
    }
  }

  async reload(now = Date.now()): Promise<void> {
    const names = (await fs.readdir(this.opts.dir)).filter((n) => n.endsWith('.json'));
    const loaded: LoadedKey[] = [];
    for (const name of names) {
      const file = path.join(this.opts.dir, name);
      const stat = await fs.stat(file);
      if ((stat.mode & 0o077) !== 0) {
        throw new Error(
          `signing key file ${file} is readable by group or others (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it`,
        );
      }
      const raw = JSON.parse(await fs.readFile(file, 'utf8')) as KeyFile;
      const privateKey = createPrivateKey(raw.privateKeyPem);
      const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
      loaded.push({
        kid: raw.kid,
        alg: raw.alg,
        createdAt: Date.parse(raw.createdAt),
        activatesAt: Date.parse(raw.activatesAt),
        privateKey,
        publicJwk,
      });
    }
    const changed =
      loaded
        .map((k) => k.kid)
        .sort()
        .join() !==
      this.keys
        .map((k) => k.kid)
        .sort()
        .join();
    this.keys = loaded;
    this.plans = this.planAll(now);
    if (changed) for (const listener of this.changeListeners) listener();
  }

  /** Every key on disk with its dates and role (keys list, seeds 000-42, 000-54): never a private member. */
  describe(now = Date.now()): KeyDescription[] {
    const plans = this.planAll(now);
    const published = new Set([...plans.values()].flatMap((p) => p.published));
    const signing = new Set([...plans.values()].map((p) => p.signing));
    return [...this.keys]
      .sort((a, b) => b.activatesAt - a.activatesAt || b.createdAt - a.createdAt)
      .map((k) => ({
        kid: k.kid,
        alg: k.alg,
        state: signing.has(k.kid)
          ? ('signing' as const)
          : k.activatesAt > now
            ? ('pending' as const)
            : published.has(k.kid)
              ? ('retiring' as const)
              : ('expired' as const),
        createdAt: new Date(k.createdAt).toISOString(),
        activatesAt: new Date(k.activatesAt).toISOString(),
        ageDays: Math.floor((now - k.createdAt) / 86_400_000),
        published: published.has(k.kid),
      }));
  }

  /** When the next scheduled rotation is due (undefined: never, SIGNING_KEY_ROTATION_DAYS=0). */
  nextRotationAt(): string | undefined {
    if (this.opts.rotationMs <= 0 || this.keys.length === 0) return undefined;
    const newestPerLane = this.algs
      .map((lane) => this.keys.filter((k) => this.laneOf(k) === lane).map((k) => k.createdAt))
      .filter((created) => created.length > 0)
      .map((created) => Math.max(...created));
    return new Date(Math.min(...newestPerLane) + this.opts.rotationMs).toISOString();
  }

  /** The key new tokens are signed with: the default algorithm's, or `alg`'s when it is configured. */
  signingKey(now = Date.now(), alg?: SigningAlg): { kid: string; alg: SigningAlg; privateKey: KeyObject } {
    const lane = alg ?? this.opts.alg;
    if (!this.algs.includes(lane)) throw new Error(`no ${lane} keys are kept (SIGNING_ADDITIONAL_ALGS)`);
    this.plans = this.planAll(now);
    const key = this.keys.find((k) => k.kid === this.plans.get(lane)?.signing);
    if (!key) throw new Error('no signing key loaded');
    return { kid: key.kid, alg: key.alg, privateKey: key.privateKey };
  }

  /** Public keys for /.well-known/jwks.json: never a private member. */
  jwks(now = Date.now()): JSONWebKeySet {
    const published = new Set([...this.planAll(now).values()].flatMap((p) => p.published));
    return {
      keys: this.keys
        .filter((k) => published.has(k.kid))
        .map((k) => ({
          kty: k.publicJwk.kty,
          crv: k.publicJwk.crv,
          x: k.publicJwk.x,
          ...(k.publicJwk.y ? { y: k.publicJwk.y } : {}),
          kid: k.kid,
          alg: k.alg,
          use: 'sig',
        })),
    };
  }

  private fileOf(kid: string): string {
    return path.join(this.opts.dir, `${kid}.json`);
  }

  private async generate(now: number, activatesAt: number, alg: SigningAlg): Promise<KeyFile> {
    const pair =
      alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const file: KeyFile = {
      kid,
      alg,
      createdAt: new Date(now).toISOString(),
      activatesAt: new Date(activatesAt).toISOString(),
      privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    // Written 0600 under a temporary name, then renamed: no reader ever sees half a key.
    const tmp = path.join(this.opts.dir, `.${kid}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(file), { mode: 0o600, flag: 'w' });
    await fs.chmod(tmp, 0o600);
    await fs.rename(tmp, this.fileOf(kid));
    return file;
  }

  private async acquire(lock: string, now: number): Promise<boolean> {
    try {
      await (await fs.open(lock, 'wx', 0o600)).close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stat = await fs.stat(lock).catch(() => undefined);
      if (stat && now - stat.mtimeMs > STALE_LOCK_MS) {
        await fs.rm(lock, { force: true });
        return this.acquire(lock, now);
      }
      return false;
    }
  }
}
