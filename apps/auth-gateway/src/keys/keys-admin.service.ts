import { ConflictException, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import { LOGGER } from '@vigil/runtime';
import { gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { StandaloneEvents } from '../events/standalone-events';
import { KeyStore, type KeyDescription } from './key-store';

export interface KeysView {
  keys: KeyDescription[];
  signingKid: string;
  nextRotationAt: string | null;
}

/** The signing keys for operators (seeds 000-42, 000-54, 003-23): list them with their ages, rotate now. */
@Injectable()
export class KeysAdminService {
  constructor(
    private readonly keys: KeyStore,
    private readonly events: StandaloneEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(): Promise<KeysView> {
    await this.keys.reload(); // another instance may have rotated
    return this.view();
  }

  /**
   * A new key, published at once. It signs after SIGNING_KEY_PREPUBLISH_SECONDS (verifiers learn it
   * first, nobody is refused), or at once when `immediate` (an exposure does not wait; verifiers
   * fetch the JWKS again on the first unknown kid, within their refresh cooldown). Earlier keys stay
   * published until their tokens expire, unless `retirePrevious` (which implies `immediate`: the
   * new key must sign when the old ones are gone). SIGNING_KEY_ROTATED with the admin as actor.
   */
  async rotate(
    opts: { reason: string; immediate: boolean; retirePrevious: boolean },
    actor: { userId: string; roles: string[] },
    meta: RequestMeta,
  ): Promise<KeysView & { rotatedTo: string; previousKid: string; activatesAt: string }> {
    await this.keys.reload();
    const previousKid = this.keys.signingKey().kid;
    const kid = await this.keys.rotate(Date.now(), {
      immediate: opts.immediate || opts.retirePrevious,
      retirePrevious: opts.retirePrevious,
    });
    if (!kid)
      throw new ConflictException({
        type: 'https://vigil.dev/problems/conflict',
        title: 'Conflict',
        detail: 'another instance is rotating the signing keys right now; list them and retry',
      });
    await this.events.emit(
      gatewayEvent('SIGNING_KEY_ROTATED', {
        actor,
        outcome: 'success',
        attributes: {
          kid,
          previousKid,
          trigger: 'admin',
          previousRetired: opts.retirePrevious,
          reason: opts.reason,
        },
        meta,
      }),
    );
    this.logger.warn('signing key rotated by an administrator', {
      kid,
      previousKid,
      previousRetired: opts.retirePrevious,
      actorUserId: actor.userId,
    });
    const view = this.view();
    const activatesAt = view.keys.find((k) => k.kid === kid)?.activatesAt ?? new Date().toISOString();
    return { ...view, rotatedTo: kid, previousKid, activatesAt };
  }

  private view(): KeysView {
    return {
      keys: this.keys.describe(),
      signingKid: this.keys.signingKey().kid,
      nextRotationAt: this.keys.nextRotationAt() ?? null,
    };
  }
}
