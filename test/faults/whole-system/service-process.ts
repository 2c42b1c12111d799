import { waitFor } from '@vigil/testing';
import type { AppName } from '../../support/apps';
import { spawnService, type Spawned } from '../../support/processes';

/** One service as its own process on a fixed port (so the JWKS URL and probes survive a restart). */
export class ServiceProcess {
  proc?: Spawned;
  private readonly outputs: string[] = [];

  constructor(
    readonly app: AppName,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    /** How it is called in what the suite prints ("security-monitor B"). */
    readonly label: string = app,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  start(): void {
    if (this.proc) this.outputs.push(this.proc.output());
    this.proc = spawnService(this.app, { ...this.env, HTTP_PORT: String(this.port) });
  }

  /** Resolves once /health answers 200; fails at once (with the output) if the process exits. */
  async ready(): Promise<void> {
    const proc = this.proc!;
    const exited = proc.exited.then(({ code, signal }) => {
      throw new Error(
        `${this.label} exited (${code ?? signal}) before it was ready:\n${proc.output().slice(-4000)}`,
      );
    });
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      waitFor(
        async () => {
          const res = await fetch(`${this.base}/health`, { signal: AbortSignal.timeout(5000) });
          await res.arrayBuffer();
          return res.status === 200;
        },
        { timeoutMs: 90_000, intervalMs: 250, what: `${this.label} ready` },
      ),
    ]);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.proc!.child.kill(signal);
    await this.proc!.exited;
  }

  /** Every line the service wrote, over all its runs (for a failure's diagnosis). */
  output(): string {
    return [...this.outputs, this.proc?.output() ?? ''].join('\n--- restart ---\n');
  }
}
