import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

export interface Argon2Params {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Argon2id hashing. `verify` costs the same whether or not the account exists: with no stored hash
 * it verifies against a dummy hash made with the same parameters, so response time does not tell
 * an attacker which usernames exist.
 */
export class PasswordHasher {
  private dummy?: string;

  constructor(private readonly params: Argon2Params) {}

  private get options() {
    return {
      type: argon2.argon2id,
      memoryCost: this.params.memoryKiB,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
    };
  }

  async init(): Promise<void> {
    this.dummy = await argon2.hash(randomBytes(24).toString('base64'), this.options);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** True only for the right password of an existing hash; a missing or broken hash costs a dummy verify. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    if (!this.dummy) await this.init();
    if (hash === undefined) {
      await argon2.verify(this.dummy!, password).catch(() => false);
      return false;
    }
    try {
      return await argon2.verify(hash, password);
    } catch {
      await argon2.verify(this.dummy!, password).catch(() => false);
      return false;
    }
  }

  /** The stored hash predates the current parameters: rehash at the next successful login. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, {
        memoryCost: this.params.memoryKiB,
        timeCost: this.params.timeCost,
        parallelism: this.params.parallelism,
      });
    } catch {
      return false;
    }
  }
}
