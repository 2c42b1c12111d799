// The whole system under steady load while each service is SIGKILLed in turn (issue 18 item 2):
// the auth-gateway, the audit-writer and the security-monitor run as three processes wired as in
// production (./whole-system/system.ts). Real HTTP logins flow through the gateway: successes, and
// a brute force on one account after another. The gateway, then the writer, then the monitor is
// killed mid-stream and restarted a few seconds later while the load goes on. Afterwards: every
// answered login is exactly one audit row, the outbox drained, every chain verifies, each
// brute-forced account raised its alert exactly once, and no DLQ holds a record. Requests a dead
// gateway could not answer are counted apart.
import { testDatabaseUrl } from '@vigil/testing';
import { FAULT_TEST_TIMEOUT_MS, outage } from './support';
import { settleAndCount } from './whole-system/accounting';
import { WholeSystem } from './whole-system/system';

/** How long a killed service stays down before it is started again (the fault, not a wait). */
const DOWN_MS = 3000;

describe('the whole system under steady load, each service SIGKILLed in turn', () => {
  it(
    'seed 000-27, 003-09, 000-30, 001-25, 001-04, 001-36: gateway, writer and monitor each SIGKILLed mid-stream and restarted: every answered login exactly once in audit_logs, the outbox drained, every chain verifies, each brute-forced account alerted exactly once, no DLQ record',
    async () => {
      const sys = await WholeSystem.create({ name: 'wsk', databaseUrl: testDatabaseUrl() });
      await sys.run(async (load) => {
        for (const svc of sys.services) {
          await sys.midWindow(); // the account under attack has some of its failures, not all
          const unansweredBefore = load.unanswered.length;
          await svc.kill('SIGKILL');
          const killedAt = Date.now();
          console.log(`[fault] SIGKILL ${svc.label} at ${sys.at()}: ${await sys.counted()}`);
          await outage(DOWN_MS);
          svc.start();
          await svc.ready();
          console.log(
            `[fault] ${svc.label} restarted and ready at ${sys.at()} (${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill); ${load.unanswered.length - unansweredBefore} requests unanswered meanwhile; ${await sys.counted()}`,
          );
          await sys.answersResume(`the ${svc.label} restart`);
        }
        // One more account brute-forced from start to end after the last restart, then the load stops.
        await sys.oneMoreVictim();
        await settleAndCount(sys);
      });
    },
    FAULT_TEST_TIMEOUT_MS,
  );
});
