/**
 * The one severity scale (DESIGN.md "Seed compatibility"): five levels, with the vocabulary of
 * each seed runbook alongside so an operator reading any of them lands on the same level.
 */

export const Severity = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFO: 'info',
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Most to least severe. */
export const SEVERITIES: readonly Severity[] = Object.freeze(Object.values(Severity));

/**
 * Incident levels. SEV-1..3 are seed 000's model; SEV-4 is ours, for findings that are recorded
 * and reviewed but open no incident (seed 000 has no level below "minor impact").
 */
export const SEV_LEVELS = ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4'] as const;
export type Sev = (typeof SEV_LEVELS)[number];

export interface SeverityMapping {
  /** 1 = most severe; for sorting and "at least" comparisons. */
  rank: 1 | 2 | 3 | 4 | 5;
  /** Seed 000: SEV-1 breach/outage, SEV-2 major degradation, SEV-3 minor or isolated. */
  sev: Sev;
  /** Seed 001's alert classes; `null` means below its thresholds (no alert in its terms). */
  seed001: 'critical' | 'warning' | null;
  /** Seed 004's incident classification. */
  seed004: 'critical' | 'high' | 'medium' | 'low';
  /** Seed 004: PagerDuty for critical issues, Slack for warnings. */
  pages: boolean;
}

export const SEVERITY_SCALE: { readonly [S in Severity]: Readonly<SeverityMapping> } = Object.freeze({
  critical: Object.freeze({ rank: 1, sev: 'SEV-1', seed001: 'critical', seed004: 'critical', pages: true }),
  high: Object.freeze({ rank: 2, sev: 'SEV-2', seed001: 'critical', seed004: 'high', pages: true }),
  medium: Object.freeze({ rank: 3, sev: 'SEV-3', seed001: 'warning', seed004: 'medium', pages: false }),
  low: Object.freeze({ rank: 4, sev: 'SEV-3', seed001: 'warning', seed004: 'low', pages: false }),
  info: Object.freeze({ rank: 5, sev: 'SEV-4', seed001: null, seed004: 'low', pages: false }),
} satisfies { [S in Severity]: SeverityMapping });

/** The SEV level of a severity. */
export function sevOf(severity: Severity): Sev {
  return SEVERITY_SCALE[severity].sev;
}

/** Whether `severity` is at least as severe as `threshold`. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_SCALE[severity].rank <= SEVERITY_SCALE[threshold].rank;
}
