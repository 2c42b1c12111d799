import { Module } from '@nestjs/common';
import { ThrottleRepository } from './throttle.repository';

/** Failed-login throttles and the account lockout: the policy is pure (lockout.policy.ts), the counters in `throttle_state`. */
@Module({
  providers: [ThrottleRepository],
  exports: [ThrottleRepository],
})
export class LockoutModule {}
