import { alertDedupKey, type AlertStatus } from '@vigil/contracts';
import type { CompiledRule, EngineAlert } from './engine-types';
import { distinctInWindow, sequenceCount, type KeyState } from './window-state';

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
  const what =
    cond.kind === 'distinct'
      ? `${distinctInWindow(s, Math.min(at, s.maxT), rule.windowMs, cond.maxPerValue).n} distinct ${cond.field === 'user' ? 'accounts' : 'IPs'} (threshold > ${cond.gt})`
      : cond.kind === 'ratio'
        ? `ratio above ${cond.gt * 100}% (min ${cond.minTotal} events)`
        : cond.kind === 'sequence'
          ? `${a.count} ${def.match.types.join('/')} after ${sequenceCount(s, a.firstSeen, rule.windowMs)} ${cond.after.types.join('/')} (threshold >= ${cond.min})`
          : `${a.count} events (threshold > ${cond.gt})`;
  const summary = `${status}: ${def.id} on ${def.key} ${kv}: ${what} in ${def.window.seconds}s`.slice(0, 500);
  return {
    status,
    alertId: alertDedupKey(def.id, def.key, kv),
    ruleId: def.id,
    ruleVersion: def.version,
    severity: def.severity,
    mitre: def.mitre,
    key: { kind: def.key, value: kv },
    firstSeen: a.firstSeen,
    lastSeen: Math.max(a.lastSeen, a.firstSeen),
    count: a.count,
    sampleEventIds: [...a.samples],
    threshold: cond.kind === 'sequence' ? cond.min : cond.gt,
    windowSeconds: def.window.seconds,
    summary,
    at,
    ...(status === 'firing' && def.response ? { response: def.response } : {}),
  };
}
