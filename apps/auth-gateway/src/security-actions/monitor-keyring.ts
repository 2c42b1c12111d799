import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import { actionKeyId, type ActionKeyring } from '@vigil/contracts';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';

/** Where the monitor writes its development key's public half (apps/security-monitor, MONITOR_ACTION_KEY_DIR). */
export const DEV_MONITOR_PUBLIC_KEYS = '.cache/keys/monitor-actions/public';

/** A rotated-in key is picked up from disk on the first action naming it, at most this often. */
const RELOAD_COOLDOWN_MS = 2000;

/**
 * The security monitor's public keys (kid → key), read from SECURITY_ACTION_PUBLIC_KEYS: one PEM
 * file, or a directory of `*.pem` files. Several keys can be trusted at once, so the monitor can
 * rotate: add the new public key, switch the monitor, later remove the old one.
 */
@Injectable()
export class MonitorKeyring implements ActionKeyring {
  private keys = new Map<string, KeyObject>();
  private loadedAt = 0;
  private loadedVersion = -1;
  readonly source: string;

  constructor(
    @Inject(SERVICE_CONFIG) config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.source = config.securityActionPublicKeys ?? DEV_MONITOR_PUBLIC_KEYS;
    if (config.securityActionPublicKeys && !existsSync(this.source)) {
      throw new Error(`SECURITY_ACTION_PUBLIC_KEYS: ${this.source} does not exist`);
    }
    this.reload();
  }

  /**
   * The key for `kid`. An unknown kid re-reads the source if it changed since (a key was added: a
   * rotation), else at most every 2 s, so a flood of forged kids costs a stat, not a directory read.
   */
  get(kid: string): KeyObject | undefined {
    if (
      !this.keys.has(kid) &&
      (this.sourceVersion() !== this.loadedVersion || Date.now() - this.loadedAt > RELOAD_COOLDOWN_MS)
    )
      this.reload();
    return this.keys.get(kid);
  }

  private sourceVersion(): number {
    try {
      return statSync(this.source).mtimeMs;
    } catch {
      return -1;
    }
  }

  kids(): string[] {
    return [...this.keys.keys()];
  }

  reload(): void {
    this.loadedAt = Date.now();
    this.loadedVersion = this.sourceVersion();
    const next = new Map<string, KeyObject>();
    for (const file of pemFiles(this.source)) {
      try {
        const key = createPublicKey(readFileSync(file, 'utf8'));
        if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
        next.set(actionKeyId(key), key);
      } catch (err) {
        this.logger.error('SECURITY_ACTION_PUBLIC_KEYS: a file is not an Ed25519 public key; ignored', {
          file,
          error: (err as Error).message,
        });
      }
    }
    const added = [...next.keys()].filter((k) => !this.keys.has(k));
    this.keys = next;
    if (added.length)
      this.logger.info('security monitor public keys loaded', {
        source: this.source,
        kids: [...next.keys()],
      });
    else if (next.size === 0)
      this.logger.warn(
        'no security monitor public key: every security action is refused until one is installed',
        { source: this.source },
      );
  }
}

function pemFiles(source: string): string[] {
  if (!existsSync(source)) return [];
  if (!statSync(source).isDirectory()) return [source];
  return readdirSync(source)
    .filter((f) => f.endsWith('.pem'))
    .sort()
    .map((f) => path.join(source, f));
}
