import type { EngineAlert } from '../../engine/detection-engine';
import type { StagePartition } from './stage';

/**
 * The IP and global stages run on the slowest upstream partition's event time (engine/event-clock.ts).
 * An upstream partition not heard from for idleMs (wall time) stops holding the clock back.
 */
export function retireQuietSources(p: StagePartition, idleMs: number): EngineAlert[] {
  const now = Date.now();
  const out: EngineAlert[] = [];
  for (const src of p.engine.sourceIds) {
    if (now - (p.heard.get(src) ?? 0) < idleMs) continue;
    p.heard.delete(src);
    out.push(...p.engine.retireSource(src));
  }
  return out;
}
