/**
 * decodeEvent throughput on one core for a ~350-byte FAILED_AUTH_LOGIN event: the compiled
 * validator against the class-transformer + class-validator reference, with JSON.parse alone as
 * the ceiling, all in the same run. Needs no Kafka or PostgreSQL:
 *   node -r ./tools/ts-register.js bench/contracts-decode.bench.ts
 * Results: bench/results/contracts-decode.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DecodeResult, createEvent, decodeEvent, decodeEventReference, encodeEvent } from '@vigil/contracts';

const DISTINCT = 1024; // distinct messages, cycled, so no single input stays hot
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);

function message(i: number): Buffer {
  return encodeEvent(
    createEvent('FAILED_AUTH_LOGIN', {
      producer: 'auth-gateway',
      subject: { username: `u${i}@example.com` },
      source: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, userAgent: 'curl/8.5.0' },
      outcome: 'failure',
      reason: 'invalid_credentials',
      requestId: `req-${i}`,
      attributes: { attemptCount: 1 + (i % 5), repeated: false },
    }),
  );
}

type Decode = (bytes: Buffer) => unknown;

interface Rate {
  /** Events per second of this process's CPU time: what one core does, even if others preempt it. */
  cpu: number;
  wall: number;
}

/** One round of ~ROUND_MS, checking every result so nothing is optimised away. */
function round(decode: Decode, messages: Buffer[]): Rate {
  let n = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const deadline = start + BigInt(ROUND_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < messages.length; i++) {
      const result = decode(messages[i]) as DecodeResult | object;
      if (result === null || ('ok' in result && !result.ok))
        throw new Error(`rejected: ${JSON.stringify(result)}`);
    }
    n += messages.length;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: n / ((cpu.user + cpu.system) / 1e6), wall: n / (Number(now - start) / 1e9) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0].toFixed(2);
  const messages = Array.from({ length: DISTINCT }, (_, i) => message(i));
  const sizes = messages.map((m) => m.length);
  const contenders: [string, Decode][] = [
    ['JSON.parse alone (ceiling)', (b) => JSON.parse(b.toString('utf8'))],
    ['decodeEvent, compiled validator', decodeEvent],
    ['decodeEventReference (plainToInstance + validateSync)', decodeEventReference],
  ];
  const rates = new Map<string, Rate[]>(contenders.map(([name]) => [name, []]));
  for (const [, decode] of contenders) round(decode, messages.slice(0, 64)); // warm-up
  // Interleaved rounds, so drift on a shared machine hits every contender alike.
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, decode] of contenders) {
      (globalThis as { gc?: () => void }).gc?.();
      rates.get(name)!.push(round(decode, messages));
    }
  }
  const cpuRate = (name: string) => median(rates.get(name)!.map((r) => r.cpu));
  const [ceiling, compiled, reference] = contenders.map(([name]) => cpuRate(name));
  const rows = contenders.map(([name]) => {
    const rate = cpuRate(name);
    const cpus = rates.get(name)!.map((r) => r.cpu);
    const wall = median(rates.get(name)!.map((r) => r.wall));
    return `| ${name} | **${Math.round(rate)}/s** | ${(1e6 / rate).toFixed(2)} µs | ${Math.round(Math.min(...cpus))}–${Math.round(Math.max(...cpus))} | ${Math.round(wall)}/s | ${(rate / ceiling).toFixed(2)}× |`;
  });
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const env = ['BENCH_ROUNDS', 'BENCH_ROUND_MS']
    .filter((k) => process.env[k])
    .map((k) => `${k}=${process.env[k]} `);
  const report = [
    '# contracts decode benchmark',
    '',
    `Run: \`${env.join('')}node -r ./tools/ts-register.js bench/contracts-decode.bench.ts\`, ${startedAt},`,
    `${os.cpus().length} × ${cpu}, Node ${process.version}, one thread; load average ${loadAtStart} at the start`,
    `(shared machine). ${DISTINCT} distinct FAILED_AUTH_LOGIN messages of ${Math.min(...sizes)}–${Math.max(...sizes)} bytes, cycled;`,
    `median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms each.`,
    '',
    '| what | events per CPU-second (median) | per event | range over rounds | wall-clock (median) | vs JSON.parse |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Compiled over reference: ${(compiled / reference).toFixed(1)}×. Target: ≥ 150k/s compiled.`,
    '',
    "Rates are per second of this process's CPU time (user + system, GC threads included), so other",
    'sessions preempting it do not count against it; the wall-clock column shows what they cost this run.',
    'Each `decodeEvent` includes the size, depth and forbidden-key pre-checks and the Buffer → string',
    'decode; the ceiling is `JSON.parse(buffer.toString())` and nothing else.',
    '',
  ].join('\n');
  const out = path.join(__dirname, 'results', 'contracts-decode.md');
  writeFileSync(out, report);
  process.stdout.write(report);
}

main();
