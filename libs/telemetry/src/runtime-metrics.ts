import { monitorEventLoopDelay } from 'node:perf_hooks';
import { metrics } from '@opentelemetry/api';

let started = false;

/**
 * Saturation of the Node.js process itself, for the golden-signals dashboard: event-loop delay
 * (p50/p99/max since the previous scrape, in seconds), CPU seconds and memory. One set per process.
 */
export function startRuntimeMetrics(): void {
  if (started) return;
  started = true;
  const m = metrics.getMeter('vigil.runtime');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const loop = m.createObservableGauge('nodejs.eventloop.delay.seconds', {
    description: 'Event-loop delay since the previous scrape, by quantile (0.5, 0.99, max)',
  });
  const cpu = m.createObservableCounter('process.cpu.seconds', {
    description: 'CPU time used by the process, by mode (user, system)',
  });
  const memory = m.createObservableGauge('process.memory.bytes', {
    description: 'Process memory, by type (rss, heap_used, heap_total, external)',
  });
  m.addBatchObservableCallback(
    (r) => {
      // The histogram is in nanoseconds; before the first full sample it reads NaN / huge values.
      if (delay.count > 0) {
        r.observe(loop, delay.percentile(50) / 1e9, { quantile: '0.5' });
        r.observe(loop, delay.percentile(99) / 1e9, { quantile: '0.99' });
        r.observe(loop, delay.max / 1e9, { quantile: 'max' });
        delay.reset();
      }
      const c = process.cpuUsage();
      r.observe(cpu, c.user / 1e6, { mode: 'user' });
      r.observe(cpu, c.system / 1e6, { mode: 'system' });
      const mem = process.memoryUsage();
      r.observe(memory, mem.rss, { type: 'rss' });
      r.observe(memory, mem.heapUsed, { type: 'heap_used' });
      r.observe(memory, mem.heapTotal, { type: 'heap_total' });
      r.observe(memory, mem.external, { type: 'external' });
    },
    [loop, cpu, memory],
  );
}
