import type { Admin, Kafka } from 'kafkajs';

/**
 * Readiness of the cluster as this service sees it: the controller answers a metadata request
 * within the timeout. Results are cached briefly so a scraped /health does not hammer the broker.
 */
export class KafkaHealth {
  private admin?: Admin;
  private last?: { at: number; ok: boolean; detail: string };

  constructor(
    private readonly kafka: Kafka,
    private readonly timeoutMs = 2500,
    private readonly cacheMs = 1000,
  ) {}

  async check(): Promise<{ ok: boolean; detail: string }> {
    // The cached answer, without its timestamp: /health shows the same fields cached or not.
    if (this.last && Date.now() - this.last.at < this.cacheMs)
      return { ok: this.last.ok, detail: this.last.detail };
    const started = Date.now();
    let result: { ok: boolean; detail: string };
    try {
      this.admin ??= this.kafka.admin({ retry: { retries: 0 } });
      await withTimeout(
        (async () => {
          await this.admin!.connect();
          const cluster = await this.admin!.describeCluster();
          if (cluster.brokers.length === 0) throw new Error('no brokers in cluster metadata');
        })(),
        this.timeoutMs,
      );
      result = { ok: true, detail: `${Date.now() - started} ms` };
    } catch (err) {
      result = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
    }
    this.last = { at: Date.now(), ...result };
    return result;
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)),
    ),
  ]);
}
