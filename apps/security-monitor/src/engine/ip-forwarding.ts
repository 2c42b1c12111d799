import type { EventEnvelope } from '@vigil/contracts';
import { compileMatch, ipOf } from './event-fields';
import type { RuleSet } from './rule-definition';

/*
 * The input is keyed by user, so one IP's events are spread over every partition: the user stage
 * forwards those a per-IP rule needs to the IP stage, re-keyed by IP (detection/stages/).
 */

/** Whether the user stage forwards an event to the IP stage: it has an IP and some per-IP rule matches it. */
export function compileIpForwarding(ruleSet: RuleSet): (e: EventEnvelope) => boolean {
  const matchers = ruleSet.rules.filter((r) => r.enabled && r.key === 'ip').map(compileMatch);
  if (matchers.length === 0) return () => false;
  return (e) => ipOf(e) !== undefined && matchers.some((m) => m(e));
}
