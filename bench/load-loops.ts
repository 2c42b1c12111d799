/**
 * Open- and closed-loop load for bench/auth-gateway.bench.ts: requests fired on a schedule (so a
 * slow phase cannot hide its queueing) or back to back, summarised as a phase's rate and latency.
 */
export interface Phase {
  name: string;
  target: string;
  sent: number;
  ok: number;
  errors: number;
  seconds: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Refresh requests not sent: every live token was in flight (the client's pool ran dry under overload). */
  starved?: number;
}

export const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;

/** Open-loop: requests start on schedule at `rate`/s whatever the previous ones are doing. */
export async function openLoop(
  name: string,
  rate: number,
  seconds: number,
  fire: (i: number) => Promise<boolean | 'skip'>,
): Promise<Phase> {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      fire(i).then(
        (good) => {
          if (good === 'skip') return;
          latencies.push(performance.now() - due);
          if (good) ok++;
          else errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  return summarize(name, `${rate}/s`, total, ok, errors, elapsed, latencies);
}

/** Closed-loop: `concurrency` clients back to back, for the most the system will do. */
export async function closedLoop(
  name: string,
  concurrency: number,
  seconds: number,
  fire: (i: number) => Promise<boolean | 'skip'>,
): Promise<Phase> {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let i = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const good = await fire(i++).catch(() => false);
        if (good === 'skip') {
          await new Promise((r) => setImmediate(r));
          continue;
        }
        latencies.push(performance.now() - t0);
        if (good) ok++;
        else errors++;
      }
    }),
  );
  return summarize(
    name,
    `max (${concurrency} clients)`,
    i,
    ok,
    errors,
    (performance.now() - start) / 1000,
    latencies,
  );
}

export function summarize(
  name: string,
  target: string,
  sent: number,
  ok: number,
  errors: number,
  seconds: number,
  lat: number[],
): Phase {
  const s = [...lat].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  const phase = {
    name,
    target,
    sent,
    ok,
    errors,
    seconds: r(seconds),
    p50: r(pct(s, 50)),
    p95: r(pct(s, 95)),
    p99: r(pct(s, 99)),
    max: r(s[s.length - 1] ?? NaN),
  };
  console.error(
    `[bench] ${name} ${target}: ${(ok / seconds).toFixed(1)} ok/s, p50 ${phase.p50} ms, p95 ${phase.p95} ms, p99 ${phase.p99} ms, errors ${errors}`,
  );
  return phase;
}
