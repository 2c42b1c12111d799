/**
 * A binary min-heap of (time, key): which open alerts may be due for resolution, without
 * scanning every open alert on every event. Entries can be stale (an alert whose due time moved
 * later is pushed again); the caller re-checks what it pops.
 */
export class DueQueue {
  private readonly t: number[] = [];
  private readonly k: string[] = [];

  get size(): number {
    return this.t.length;
  }

  peek(): number {
    return this.t.length ? this.t[0] : Infinity;
  }

  push(time: number, key: string): void {
    this.t.push(time);
    this.k.push(key);
    let i = this.t.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.t[p] <= this.t[i]) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, string] | undefined {
    if (this.t.length === 0) return undefined;
    const top: [number, string] = [this.t[0], this.k[0]];
    const lt = this.t.pop()!;
    const lk = this.k.pop()!;
    if (this.t.length) {
      this.t[0] = lt;
      this.k[0] = lk;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.t.length && this.t[l] < this.t[m]) m = l;
        if (r < this.t.length && this.t[r] < this.t[m]) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.t.length = 0;
    this.k.length = 0;
  }

  private swap(a: number, b: number): void {
    [this.t[a], this.t[b]] = [this.t[b], this.t[a]];
    [this.k[a], this.k[b]] = [this.k[b], this.k[a]];
  }
}
