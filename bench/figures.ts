/**
 * The machine-readable side of a benchmark: each bench writes bench/results/<name>.json beside its
 * .md (its figures against issue 18's targets, with the ceiling measured in the same run), and
 * bench/report.ts composes bench/results/REPORT.md from every such file.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
}

export interface Figure {
  /** Stable id, e.g. `audit-writer.vs-copy`. */
  id: string;
  /** What was measured, in a sentence. */
  what: string;
  value: number;
  unit: string;
  /** The ceiling measured in the same run, in `ceilingUnit` (the figure's unit when absent). */
  ceiling?: number;
  ceilingWhat?: string;
  ceilingUnit?: string;
  /** value / ceiling, when the target is a ratio. */
  ratio?: number;
  /** The target, as the issue words it. */
  target: string;
  /** null: nothing to hold against (a figure shown, e.g. the gain from a second instance). */
  met: boolean | null;
  /** What limits it. */
  limit?: string;
  /** When missed: what would close it. */
  close?: string;
}

export interface BenchResult {
  bench: string;
  command: string;
  ranAt: string;
  /** 1, 5 and 15 minute load averages when the bench started (the machine is shared). */
  loadAverage: number[];
  /** The same at the end. */
  loadAverageEnd: number[];
  machine: Machine;
  figures: Figure[];
  notes?: string[];
}

/** Read when the bench's module is loaded: its start. */
export const LOAD_AT_START = os.loadavg();
const STARTED_AT = new Date();

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Writes bench/results/<bench>.json. */
export function writeResult(bench: string, figures: Figure[], notes?: string[]): void {
  const result: BenchResult = {
    bench,
    command: `npm run bench ${bench}`,
    ranAt: STARTED_AT.toISOString(),
    loadAverage: LOAD_AT_START.map((l) => round(l)),
    loadAverageEnd: os.loadavg().map((l) => round(l)),
    machine: machine(),
    figures,
    ...(notes?.length ? { notes } : {}),
  };
  writeFileSync(path.join(__dirname, 'results', `${bench}.json`), JSON.stringify(result, null, 2) + '\n');
}
