import {
  Injectable,
  Module,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { Logger } from 'winston';
import type { KafkaClient } from '@vigil/kafka';
import { HealthRegistry, KAFKA, LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { VerifiedToken } from '../verified-token';
import type { RevocationCheck } from '../nest/auth-events-sink';
import { RevocationDenyList } from './deny-list';
import { RevocationFeed } from './revocation-feed';

export interface RevocationModuleOptions {
  /** The gateway's auth events topic. */
  topic: string;
  /** The longest access-token lifetime the gateway may issue (its ACCESS_TOKEN_TTL_SECONDS at most). */
  maxTokenTtlSeconds: number;
}

/** A request arriving while the list catches up (service start) waits this long before a 503. */
const CATCH_UP_WAIT_MS = 5000;
const meter = () => metrics.getMeter('vigil.auth');
let refusals: ReturnType<ReturnType<typeof meter>['createCounter']> | undefined;

/**
 * The RevocationCheck of services other than the gateway: the deny-list fed by auth events.
 * Fails closed: until the feed has caught up once it cannot judge a token, so a request waits for
 * that (up to 5 s, at start) and is then refused with 503 (Retry-After) rather than let a revoked
 * token through; /health is not ready meanwhile.
 */
@Injectable()
export class DenyListRevocationCheck implements RevocationCheck {
  constructor(
    private readonly list: RevocationDenyList,
    private readonly feed: RevocationFeed,
  ) {}

  async isRevoked(token: VerifiedToken, req: unknown): Promise<boolean> {
    if (!(await this.feed.whenCaughtUp(CATCH_UP_WAIT_MS))) {
      (req as { res?: { setHeader(n: string, v: string): void } }).res?.setHeader('Retry-After', '1');
      throw new ServiceUnavailableException({
        type: 'https://vigil.dev/problems/revocation-list-unavailable',
        title: 'Service Unavailable',
        detail: 'the revocation list is still catching up with the auth events; retry shortly',
      });
    }
    const verdict = this.list.check(token);
    if (!verdict.revoked) return false;
    refusals ??= meter().createCounter('auth.revocation.refused', {
      description: 'Tokens refused by the revocation deny-list, by reason',
    });
    refusals.add(1, { reason: verdict.reason });
    return true;
  }
}

/** Registers the feed's health and metrics, starts it with the service, stops it on shutdown. */
@Injectable()
class RevocationLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly feed: RevocationFeed,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register('revocation', () => {
      const s = this.feed.status();
      return { ok: s.caughtUp, ...(s.caughtUp && !s.live ? { degraded: true } : {}), detail: s.detail };
    });
    const m = meter();
    m.createObservableGauge('auth.revocation.entries', {
      description: 'Sessions and users held by the revocation deny-list',
    }).addCallback((r) => r.observe(this.feed.status().entries));
    m.createObservableGauge('auth.revocation.lag', {
      description: 'Auth events the revocation deny-list has yet to read',
    }).addCallback((r) => r.observe(this.feed.status().lag));
    m.createObservableGauge('auth.revocation.caught_up', {
      description: '1 once the deny-list has read the auth events up to its start',
    }).addCallback((r) => r.observe(this.feed.status().caughtUp ? 1 : 0));
  }

  onApplicationBootstrap(): void {
    this.feed.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.feed.stop();
  }
}

/**
 * The deny-list and its feed, for `AuthModule.forRoot({ ..., ...revocationFromAuthEvents(opts) })`.
 * Needs InfraModule (Kafka, logger, health) in the app.
 */
@Module({})
export class RevocationModule {
  static forRoot(opts: RevocationModuleOptions): DynamicModule {
    return {
      module: RevocationModule,
      providers: [
        {
          provide: RevocationDenyList,
          useFactory: () => new RevocationDenyList({ maxTokenTtlMs: opts.maxTokenTtlSeconds * 1000 }),
        },
        {
          provide: RevocationFeed,
          // Its throwaway groups are named under the service's own group id, so the service's
          // Kafka principal (ACLs on its group prefix, libs/kafka bus-plan) may use and delete them.
          inject: [KAFKA, RevocationDenyList, LOGGER, SERVICE_CONFIG],
          useFactory: (
            kafka: KafkaClient,
            list: RevocationDenyList,
            logger: Logger,
            config: { kafkaGroupId: string },
          ) => new RevocationFeed(kafka, list, { topic: opts.topic, service: config.kafkaGroupId, logger }),
        },
        RevocationLifecycle,
      ],
      exports: [RevocationDenyList, RevocationFeed],
    };
  }
}

/** The AuthModule options that make its guards consult the deny-list. */
export function revocationFromAuthEvents(opts: RevocationModuleOptions) {
  return { revocationCheck: DenyListRevocationCheck, imports: [RevocationModule.forRoot(opts)] };
}
