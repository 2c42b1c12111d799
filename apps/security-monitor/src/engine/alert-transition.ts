import { alertDedupKey, type AlertStatus } from '@vigil/contracts';
import type { CompiledRule, EngineAlert } from './engine-types';
import { baselineCount, baselineMean, baselineThreshold, type BaselineCondition } from './baseline-state';
import { distinctInWindow, sequenceCount, type KeyState } from './window-state';

const DISTINCT_NOUN: Record<string, string> = {
  user: 'accounts',
  ip: 'IPs',
  network: 'networks',
  user_agent: 'clients',
};

/** An alert transition of a key's open alert: what the engine emits and the service publishes. */
export function transition(
  rule: CompiledRule,
  kv: string,
  s: KeyState,
  status: AlertStatus,
  at: number,
): EngineAlert {
  const { def } = rule;
  const a = s.alert!;
  const cond = def.condition;
  const what = rule.profile
    ? rule.profile.describe(kv)
    : cond.kind === 'distinct'
      ? `${distinctInWindow(s, Math.min(at, s.maxT), rule.windowMs, cond.maxPerValue).n} distinct ${DISTINCT_NOUN[cond.field] ?? 'values'} (threshold > ${cond.gt})`
      : cond.kind === 'baseline'
        ? baselineSummary(s, cond, at, rule.windowMs)
        : cond.kind === 'ratio'
          ? `ratio above ${cond.gt * 100}% (min ${cond.minTotal} events)`
          : cond.kind === 'sequence'
            ? `${a.count} ${def.match.types.join('/')} after ${sequenceCount(s, a.firstSeen, rule.windowMs)} ${cond.after.types.join('/')} (threshold >= ${cond.min})`
            : cond.kind === 'consecutive'
              ? `${cond.n} consecutive ${def.match.types.join('/')} each from a ${cond.newValues === false ? 'different' : 'new'} ${cond.field === 'user' ? 'account' : 'IP'} (${a.count} events)`
              : `${a.count} events (threshold > ${(cond as { gt: number }).gt})`;
  const summary = `${status}: ${def.id} on ${def.key} ${kv}: ${what} in ${def.window.seconds}s`.slice(0, 500);
  return {
    status,
    alertId: (s.aid ??= alertDedupKey(def.id, def.key, kv)), // the same on every transition of the key's alerts
    ruleId: def.id,
    ruleVersion: def.version,
    severity: def.severity,
    mitre: def.mitre,
    key: { kind: def.key, value: kv },
    firstSeen: a.firstSeen,
    lastSeen: Math.max(a.lastSeen, a.firstSeen),
    count: a.count,
    sampleEventIds: [...a.samples],
    threshold:
      rule.profile?.threshold ??
      (cond.kind === 'sequence'
        ? cond.min
        : cond.kind === 'baseline'
          ? baselineThreshold(s.bl?.h ?? [], cond)
          : cond.kind === 'consecutive'
            ? cond.n
            : 'gt' in cond
              ? cond.gt
              : 0),
    windowSeconds: def.window.seconds,
    summary,
    at,
    ...(status === 'firing' && def.response ? { response: def.response } : {}),
  };
}

function baselineSummary(s: KeyState, cond: BaselineCondition, at: number, windowMs: number): string {
  const h = s.bl?.h ?? [];
  const mean = baselineMean(h, cond);
  const what = cond.field === 'user' ? 'accounts' : 'IPs';
  const base =
    mean === undefined
      ? `cold start: ${h.length} of ${cond.minHistory} periods known`
      : `baseline ${mean.toFixed(1)} over ${h.length} periods`;
  return `${baselineCount(s, at, windowMs)} distinct ${what} this period (${base}; threshold > ${baselineThreshold(h, cond)})`;
}
