import type { CompiledRule, EngineSnapshot } from './engine-types';
import type { EventClock } from './event-clock';
import { keyStateFromJson, keyStateToJson, type KeyState } from './window-state';

/*
 * An engine's state as plain JSON (saved per stage partition) and back: clocks, counters, every
 * rule's keys and merged partial counts, and the DLQ replays already counted.
 */

/** The engine's running totals and sweep mark (carried in its snapshot). */
export interface EngineCounters {
  events: number;
  lateDropped: number;
  keysEvicted: number;
  lastSweep: number;
}

export function toSnapshot(
  clock: EventClock,
  counters: EngineCounters,
  rules: CompiledRule[],
  replayed: Set<string>,
): EngineSnapshot {
  return {
    v: 1,
    maxT: Number.isFinite(clock.maxT) ? clock.maxT : null,
    lastSweep: Number.isFinite(counters.lastSweep) ? counters.lastSweep : null,
    events: counters.events,
    lateDropped: counters.lateDropped,
    keysEvicted: counters.keysEvicted,
    ...(clock.sources.size
      ? {
          sources: [...clock.sources].map(([src, t]): [number, number | null] => [
            src,
            Number.isFinite(t) ? t : null,
          ]),
        }
      : {}),
    rules: rules.map((r) => ({
      id: r.def.id,
      version: r.def.version,
      keys: [...r.keys].map(([k, s]) => [k, keyStateToJson(s)]),
      ...(r.profile ? { profiles: r.profile.toJson() } : {}),
      ...(r.merged
        ? { merged: [...r.merged].map(([idx, m]) => [idx, [...m].map(([src, [c, d]]) => [src, c, d])]) }
        : {}),
    })) as EngineSnapshot['rules'],
    ...(replayed.size ? { replayed: [...replayed] } : {}),
  };
}

/**
 * Restores clocks and every rule's windows and open alerts into `clock` and `rules`; state of a
 * rule whose version changed since is dropped. Returns the counters and remembered replays.
 */
export function restoreSnapshot(
  snap: EngineSnapshot,
  clock: EventClock,
  rules: CompiledRule[],
): { counters: EngineCounters; replayed: Set<string> } {
  clock.maxT = snap.maxT ?? -Infinity;
  clock.sources.clear();
  for (const [src, t] of snap.sources ?? []) clock.sources.set(src, t ?? -Infinity);
  const saved = new Map(snap.rules.map((r) => [r.id, r]));
  for (const rule of rules) {
    const r = saved.get(rule.def.id);
    rule.keys = new Map<string, KeyState>();
    if (rule.merged) rule.merged = new Map();
    // Behaviour profiles (profile-state.ts); a snapshot from before a profile rule existed has none.
    rule.profile?.restore(r && r.version === rule.def.version ? (r.profiles ?? []) : []);
    if (!r || r.version !== rule.def.version) continue;
    for (const [k, j] of r.keys) rule.keys.set(k, keyStateFromJson(j as Record<string, unknown>));
    if (rule.merged && r.merged)
      rule.merged = new Map(
        r.merged.map(([idx, m]) => [idx, new Map(m.map(([src, c, d]) => [src, [c, d] as [number, number]]))]),
      );
    rule.evictCursor = undefined;
  }
  return {
    counters: {
      events: snap.events,
      lateDropped: snap.lateDropped,
      keysEvicted: snap.keysEvicted,
      lastSweep: snap.lastSweep ?? -Infinity,
    },
    replayed: new Set(snap.replayed ?? []),
  };
}
