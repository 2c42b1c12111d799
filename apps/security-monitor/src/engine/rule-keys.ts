import type { CompiledRule } from './engine-types';
import { expire, isEmpty } from './window-state';

/*
 * A rule's keys beyond the hot path: room made for a new one when the rule holds its cap, and
 * the periodic sweep that forgets keys left with nothing (a million one-shot IPs fade out).
 */

/**
 * Evicts the oldest key without an open alert (insertion order; Map iterators survive deletes).
 * False when none was found within a bounded scan (the rule then grows past its cap by one).
 */
export function evictOne(rule: CompiledRule): boolean {
  for (let scanned = 0; scanned < 1000; scanned++) {
    rule.evictCursor ??= rule.keys.entries();
    const next = rule.evictCursor.next();
    if (next.done) {
      rule.evictCursor = undefined;
      continue;
    }
    const [kv, s] = next.value;
    if (!s.alert) {
      rule.keys.delete(kv);
      return true;
    }
  }
  return false;
}

/** Drops expired buckets everywhere and keys left with nothing; profiles idle too long. */
export function sweepKeys(rules: CompiledRule[], watermark: number): void {
  for (const rule of rules) {
    for (const [kv, s] of rule.keys) {
      expire(s, watermark, rule.windowMs, rule.bucketMs);
      if (isEmpty(s)) rule.keys.delete(kv);
    }
    rule.profile?.sweep(watermark);
  }
}
